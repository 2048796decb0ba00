//! Settings files (`--config FILE`, default `~/.config/remote-message/
//! <binary>.toml`): keys are the long option names; the command line beats
//! the environment, which beats the file, which beats the defaults; unknown
//! keys, and keys that target or identify one send, are refused, naming the
//! key, the file and where in it (line and column). Under them all, the
//! system-wide settings IT sets per machine (`/etc/remote-message/
//! <binary>.toml` here, named by `REMOTE_MESSAGE_SYSTEM_CONFIG` in tests).

use e2e::procs::{bin, finish_within, NO_USER_CONFIG, SYSTEM_CONFIG_VAR};
use e2e::{expect_exit, publisher, Agent, NatsServer, WAIT};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn write(path: &Path, toml: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, toml).unwrap();
    path.to_owned()
}

/// A `subscriber` with only the given arguments and environment (no
/// `--server`, no `NATS_URL`, no user settings unless `env` says).
fn subscriber(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin("subscriber"));
    cmd.args(args)
        .env_remove("NATS_URL")
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .env(SYSTEM_CONFIG_VAR, "")
        .envs(env.iter().copied());
    cmd
}

fn sessions(server_url: &str) -> Value {
    let out = publisher(server_url, &["sessions", "--json"]);
    serde_json::from_str(&expect_exit(&out, 0)).unwrap()
}

/// An agent started with no arguments at all takes everything from the
/// file in the user's config directory: server, session id, user name,
/// labels (a list), output, state directory and log format. A `--user-name` on the
/// command line beats the file's.
#[test]
fn an_agent_runs_from_its_default_settings_file_and_the_command_line_wins() {
    let server = NatsServer::start();
    let home = tempfile::tempdir().unwrap();
    let config_home = home.path().join("config");
    write(
        &config_home.join("remote-message/subscriber.toml"),
        &format!(
            "server = \"{}\"\nsession-id = \"gina\"\nuser-name = \"gina-file\"\n\
             label = [\"dept=sales\", \"floor=2\"]\noutput = \"json\"\nstate-dir = \"{}\"\n\
             log-format = \"json\"\n",
            server.url(),
            home.path().join("state").display()
        ),
    );
    let config_home = config_home.to_str().unwrap();
    let mut agent = Agent::spawn_command(subscriber(&[], &[("XDG_CONFIG_HOME", config_home)]));
    agent.wait_subscribed();
    let listed = sessions(&server.url());
    assert_eq!(listed[0]["id"], "gina", "{listed}");
    assert_eq!(listed[0]["user"], "gina-file", "{listed}");
    assert_eq!(
        listed[0]["labels"],
        serde_json::json!({"dept": "sales", "floor": "2"})
    );
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "gina", "hi"]),
        0,
    );
    assert_eq!(
        agent.next_message()["text"],
        "hi",
        "output = json from the file"
    );
    drop(agent);

    let mut agent = Agent::spawn_command(subscriber(
        &["--user-name", "gina-cli"],
        &[("XDG_CONFIG_HOME", config_home)],
    ));
    agent.wait_subscribed();
    assert_eq!(sessions(&server.url())[0]["user"], "gina-cli");
}

/// `NATS_URL` beats the file's `server` (which names a port nobody listens
/// on), and `--server` beats `NATS_URL`.
#[test]
fn the_environment_beats_the_file_and_the_command_line_beats_both() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let dead = "nats://127.0.0.1:1";
    let file = write(
        &dir.path().join("agent.toml"),
        &format!("server = \"{dead}\"\noutput = \"json\"\nlog-format = \"json\"\n"),
    );
    let file = file.to_str().unwrap();
    let state = dir.path().join("s1");
    let mut from_env = Agent::spawn_command(subscriber(
        &[
            "--config",
            file,
            "--session-id",
            "henry",
            "--state-dir",
            state.to_str().unwrap(),
        ],
        &[("NATS_URL", &server.url())],
    ));
    from_env.wait_subscribed();

    let state = dir.path().join("s2");
    let mut from_cli = Agent::spawn_command(subscriber(
        &[
            "--config",
            file,
            "--session-id",
            "iris",
            "--state-dir",
            state.to_str().unwrap(),
            "--server",
            &server.url(),
        ],
        &[("NATS_URL", dead)],
    ));
    from_cli.wait_subscribed();
}

/// A key that is no option (a typo) stops either binary with exit 2 and a
/// message naming the key and the file; nothing starts, nothing is sent.
#[test]
fn unknown_keys_are_refused_naming_the_key_and_the_file() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir.path().join("typo.toml"),
        "sevrer = \"nats://x:4222\"\n",
    );
    let file = file.to_str().unwrap();

    let child = subscriber(&["--config", file], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, WAIT, "subscriber with a typo in its settings");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`sevrer`") && stderr.contains(file),
        "{stderr}"
    );

    let out = publisher(&server.url(), &["--config", file, "send", "hi"]);
    expect_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`sevrer`") && stderr.contains(file),
        "{stderr}"
    );
}

/// `publisher` reads its own file the same way: options of `send` (sender,
/// priority) apply to every send, and `--sender` on the command line wins.
#[test]
fn the_publisher_takes_send_options_from_its_file() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "jack");
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir.path().join("publisher.toml"),
        "sender = \"ops@file\"\npriority = \"high\"\n",
    );
    let file = file.to_str().unwrap();

    expect_exit(
        &publisher(
            &server.url(),
            &["--config", file, "send", "--session", "jack", "one"],
        ),
        0,
    );
    let m = agent.next_message();
    assert_eq!(
        (m["sender"].as_str(), m["priority"].as_str()),
        (Some("ops@file"), Some("high"))
    );

    expect_exit(
        &publisher(
            &server.url(),
            &[
                "send",
                "--session",
                "jack",
                "--sender",
                "ops@cli",
                "two",
                "--config",
                file,
            ],
        ),
        0,
    );
    assert_eq!(agent.next_message()["sender"], "ops@cli");
    // `sessions` has no --sender: the key is for `send` only, not an error.
    expect_exit(
        &publisher(&server.url(), &["--config", file, "sessions"]),
        0,
    );
}

/// A settings file holds defaults safe for every send, never what targets
/// or identifies one: `session = "jack"` (every send would go to jack),
/// `id = "fixed1"` (every later send a silent duplicate) and `user =
/// "vanessa"` (a file's user is the NATS login, here without a password)
/// each stop the publisher with exit 2 naming the key, before anything is
/// sent: jack's next message is a later marker.
#[test]
fn keys_that_target_or_identify_one_send_are_refused() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "jack");
    let dir = tempfile::tempdir().unwrap();
    for (toml, named) in [
        ("session = \"jack\"\n", "key `session` in the settings file"),
        (
            "sender = \"ops\"\nid = \"fixed1\"\n",
            "key `id` in the settings file",
        ),
        ("user = \"vanessa\"\n", "`user` in the settings file"),
    ] {
        let file = write(&dir.path().join("publisher.toml"), toml);
        let out = publisher(
            &server.url(),
            &["--config", file.to_str().unwrap(), "send", "hi"],
        );
        assert!(expect_exit(&out, 2).is_empty(), "{toml}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{toml}: {stderr}");
    }
    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    assert_eq!(agent.next_text(), "marker", "a refused send was shown");
}

/// Settings errors say where: a misspelt key (`sever`) gets its line and
/// column and "did you mean `server`?"; an unquoted URL (`server =
/// nats://…`) gets the line and column and the line as it must be written,
/// quoted. Both exit 2.
#[test]
fn settings_errors_give_the_line_the_column_and_what_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    for (toml, expected) in [
        (
            "# ops\nsever = \"nats://nats.example:4222\"\n",
            "key `sever` in the settings file {file}, line 2, column 1: unknown key; did you \
             mean `server`?",
        ),
        (
            "sender = \"ops\"\nserver = nats://nats.example:4222\n",
            "the settings file {file} is not valid TOML, line 2, column 10: a text value must \
             be quoted: write server = \"nats://nats.example:4222\"",
        ),
    ] {
        let file = write(&dir.path().join("publisher.toml"), toml);
        let file = file.to_str().unwrap();
        let out = publisher("nats://127.0.0.1:1", &["--config", file, "send", "hi"]);
        expect_exit(&out, 2);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&expected.replace("{file}", file)),
            "{stderr}"
        );
    }
}

/// IT sets the fleet's server, the output and a label once per machine in
/// the system-wide file; an agent started with nothing else connects there
/// and shows messages as JSON. Vanessa's own settings file overrides the
/// output and replaces the label list, not the server; a bad key in the
/// system file stops the agent with exit 2 naming that file.
#[test]
fn the_system_wide_settings_sit_under_the_users_own() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let system = write(
        &dir.path().join("etc/subscriber.toml"),
        &format!(
            "server = \"{}\"\noutput = \"json\"\nlabel = [\"site=hq\"]\nlog-format = \"json\"\n",
            server.url()
        ),
    );
    let system = system.to_str().unwrap();
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    let mut agent = Agent::spawn_command(subscriber(
        &["--session-id", "vanessa-1", "--state-dir", state],
        &[(SYSTEM_CONFIG_VAR, system)],
    ));
    agent.wait_subscribed();
    let listed = sessions(&server.url());
    assert_eq!(
        listed[0]["labels"],
        serde_json::json!({"site": "hq"}),
        "{listed}"
    );
    expect_exit(
        &publisher(
            &server.url(),
            &["send", "--session", "vanessa-1", "from IT"],
        ),
        0,
    );
    assert_eq!(
        agent.next_message()["text"],
        "from IT",
        "output = json from /etc"
    );
    drop(agent);

    let own = write(&dir.path().join("vanessa.toml"), "label = [\"floor=2\"]\n");
    let mut agent = Agent::spawn_command(subscriber(
        &[
            "--config",
            own.to_str().unwrap(),
            "--session-id",
            "vanessa-1",
            "--state-dir",
            state,
        ],
        &[(SYSTEM_CONFIG_VAR, system)],
    ));
    agent.wait_subscribed();
    let listed = sessions(&server.url());
    assert_eq!(
        listed[0]["labels"],
        serde_json::json!({"floor": "2"}),
        "{listed}"
    );
    drop(agent);

    write(Path::new(system), "sevrer = \"nats://x:4222\"\n");
    let out = finish_within(
        subscriber(
            &["--session-id", "vanessa-1"],
            &[(SYSTEM_CONFIG_VAR, system)],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
        WAIT,
        "subscriber with a bad system-wide key",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(system) && stderr.contains("server"),
        "{stderr}"
    );
}
