//! Secrets stay secret (issue 12, item 7): URL credentials never reach
//! async-nats' logs, at any level; a password typed on the command line, or
//! a settings or creds file others may read, gets one warning at start. The
//! agent's state (what it showed, its sealing key) is private whatever the
//! umask.

use e2e::exit::USAGE;
use e2e::procs::{bin, finish_within, run_binary, NO_USER_CONFIG};
use e2e::server::{AGENT_PASSWORD, OPS_PASSWORD};
use e2e::{expect_exit, file_mode, publisher, stderr, Agent, NatsServer};
use nix::sys::signal::Signal;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// With `RUST_LOG=trace`, an agent and a publisher whose URLs carry the
/// role passwords connect and deliver, and neither password appears in
/// anything they log (async-nats logs its server addresses at debug).
#[test]
fn trace_logs_never_show_url_passwords() {
    let server = NatsServer::start_with_roles();
    // Through env(1): the harness removes RUST_LOG from what it spawns.
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("env");
    cmd.arg("RUST_LOG=trace")
        .arg(bin("subscriber"))
        .args([
            "--output",
            "json",
            "--log-format",
            "json",
            "--session-id",
            "alice",
        ])
        .arg("--state-dir")
        .arg(state.path())
        .env("NATS_URL", server.url_as("agent", AGENT_PASSWORD))
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG);
    let mut alice = Agent::spawn_command(cmd);
    alice.wait_subscribed();
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    let out = run_binary(
        "publisher",
        &["send", "--session", "alice", "hello"],
        &[("NATS_URL", &ops_url), ("RUST_LOG", "trace")],
    );
    expect_exit(&out, 0);
    assert_eq!(alice.next_text(), "hello");
    let published = stderr(&out);
    // Debug was on: async-nats logged the server address it dialled.
    assert!(published.contains("attempting connection"), "{published}");
    assert!(!published.contains(OPS_PASSWORD), "{published}");
    let logs = alice.logs().join("\n");
    assert!(logs.contains("attempting connection"), "{logs}");
    assert!(!logs.contains(AGENT_PASSWORD), "{logs}");
}

/// A password inside `--server` typed on the command line is warned about
/// (event `secret_on_command_line`); the same URL in `NATS_URL` is not.
/// Two URLs with different passwords are refused before connecting.
#[test]
fn a_password_on_the_command_line_is_warned_about() {
    let server = NatsServer::start_with_roles();
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    let typed = run_binary(
        "publisher",
        &["--server", &ops_url, "--log-format", "json", "sessions"],
        &[],
    );
    expect_exit(&typed, 0);
    let typed = stderr(&typed);
    assert!(
        typed.contains(r#""event":"secret_on_command_line""#),
        "{typed}"
    );
    assert!(!typed.contains(OPS_PASSWORD), "{typed}");
    let env = run_binary(
        "publisher",
        &["--log-format", "json", "sessions"],
        &[("NATS_URL", &ops_url)],
    );
    expect_exit(&env, 0);
    assert!(
        !stderr(&env).contains("secret_on_command_line"),
        "{}",
        stderr(&env)
    );

    let two = format!(
        "{ops_url},nats://ops:another-Pw@127.0.0.1:{}",
        server.port()
    );
    let out = run_binary("publisher", &["sessions"], &[("NATS_URL", &two)]);
    expect_exit(&out, USAGE);
    let text = stderr(&out);
    assert!(text.contains("different credentials"), "{text}");
    assert!(
        !text.contains(OPS_PASSWORD) && !text.contains("another-Pw"),
        "{text}"
    );
}

/// A settings file holding a password that others may read gets one
/// `secret_file_readable` warning from the publisher and from the agent;
/// once it is mode 0600, none. A creds file others may read is warned
/// about too.
#[test]
fn secret_files_others_may_read_are_warned_about() {
    let server = NatsServer::start_with_roles();
    let dir = tempfile::tempdir().unwrap();
    let ops = dir.path().join("publisher.toml");
    std::fs::write(
        &ops,
        format!("server = \"{}\"\n", server.url_as("ops", OPS_PASSWORD)),
    )
    .unwrap();
    let chmod = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    chmod(&ops, 0o644);
    let config = ops.to_str().unwrap();
    let args = ["--config", config, "--log-format", "json", "sessions"];
    let open = run_binary("publisher", &args, &[]);
    expect_exit(&open, 0);
    let text = stderr(&open);
    assert_eq!(text.matches("secret_file_readable").count(), 1, "{text}");
    assert!(text.contains("chmod 600"), "{text}");
    assert!(!text.contains("secret_on_command_line"), "{text}");
    chmod(&ops, 0o600);
    let private = run_binary("publisher", &args, &[]);
    expect_exit(&private, 0);
    assert!(!stderr(&private).contains("secret_file_readable"));

    let agent_toml = dir.path().join("subscriber.toml");
    let agent_url = server.url_as("agent", AGENT_PASSWORD);
    std::fs::write(&agent_toml, format!("server = \"{agent_url}\"\n")).unwrap();
    chmod(&agent_toml, 0o640);
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin("subscriber"));
    cmd.args([
        "--output",
        "json",
        "--log-format",
        "json",
        "--session-id",
        "bob",
    ])
    .arg("--state-dir")
    .arg(state.path())
    .arg("--config")
    .arg(&agent_toml)
    .env_remove("NATS_URL")
    .env("XDG_CONFIG_HOME", NO_USER_CONFIG);
    let mut agent = Agent::spawn_command(cmd);
    let warned = agent.wait_event("secret_file_readable");
    assert!(warned.to_string().contains("subscriber.toml"), "{warned}");
    agent.wait_subscribed();

    let creds = dir.path().join("ops.creds");
    std::fs::write(&creds, "not really creds\n").unwrap();
    chmod(&creds, 0o644);
    let out = run_binary(
        "publisher",
        &[
            "--creds",
            creds.to_str().unwrap(),
            "--log-format",
            "json",
            "sessions",
        ],
        &[("NATS_URL", &server.url())],
    );
    let text = stderr(&out);
    assert!(
        text.contains("secret_file_readable") && text.contains("--creds"),
        "{text}"
    );
}

/// `deploy/run-nats-server` (the quick start's way to start the server)
/// refuses to start nats-server when a role's password is unset or empty,
/// naming the variable; nats-server would otherwise let anyone in as that
/// role.
#[test]
fn the_quick_start_server_refuses_an_empty_password() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/run-nats-server");
    for (ops, agent, named) in [
        (Some(""), Some("agent-pw"), "OPS_PASSWORD"),
        (None, Some("agent-pw"), "OPS_PASSWORD"),
        (Some("ops-pw"), Some(""), "AGENT_PASSWORD"),
    ] {
        let mut cmd = Command::new("sh");
        cmd.arg(script)
            .env_remove("OPS_PASSWORD")
            .env_remove("AGENT_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (var, value) in [("OPS_PASSWORD", ops), ("AGENT_PASSWORD", agent)] {
            if let Some(value) = value {
                cmd.env(var, value);
            }
        }
        let out = finish_within(
            cmd.spawn().unwrap(),
            Duration::from_secs(10),
            "run-nats-server",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        expect_exit(&out, USAGE);
        assert!(
            stderr.contains(&format!("{named} is unset or empty")),
            "{stderr}"
        );
    }
}

/// Every file in `dir` (none may be anything else) with its mode.
fn file_modes(dir: &std::path::Path) -> Vec<(String, u32)> {
    let mut modes: Vec<(String, u32)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            assert!(entry.file_type().unwrap().is_file(), "{entry:?}");
            (
                entry.file_name().into_string().unwrap(),
                file_mode(&entry.path()),
            )
        })
        .collect();
    modes.sort();
    modes
}

/// Under umask 022, an agent run with a new `--state-dir` (not there yet)
/// leaves it 0700 with every file 0600 (the default session's id, its
/// state, journal with a message in it, sealing key and lock), and says
/// nothing about it. The same directory widened (0755, files 0644, as an
/// earlier version left it) is tightened at the next start, which is the
/// same session, with one `state_made_private` warning naming what was
/// widened; the agent works as before.
#[test]
fn the_agent_state_is_private_whatever_the_umask() {
    let server = NatsServer::start();
    let url = server.url();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("state");
    let state_dir = dir.to_str().unwrap();
    // Runs the agent of the directory's default session until it showed a
    // message sent to it, then stops it; returns it and its session id.
    let run = |text: &str| {
        let mut agent = Agent::spawn_with_umask(&url, &["--state-dir", state_dir], 0o022);
        let session = agent.wait_event("listening")["session"]
            .as_str()
            .unwrap()
            .to_owned();
        agent.wait_subscribed();
        expect_exit(&publisher(&url, &["send", "--session", &session, text]), 0);
        assert_eq!(agent.next_text(), text);
        agent.signal(Signal::SIGTERM);
        assert!(agent.wait_exit().success());
        (agent, session)
    };
    let private = |session: &str| {
        assert_eq!(file_mode(&dir), 0o700);
        let mut expected: Vec<String> = ["journal", "json", "lock", "xkey"]
            .iter()
            .map(|extension| format!("{session}.{extension}"))
            .chain(["default-session".to_owned()])
            .collect();
        expected.sort();
        let files = file_modes(&dir);
        let names: Vec<&String> = files.iter().map(|(name, _)| name).collect();
        assert_eq!(names, expected.iter().collect::<Vec<_>>());
        assert!(files.iter().all(|(_, mode)| *mode == 0o600), "{files:?}");
    };

    let (mut first, session) = run("first");
    private(&session);
    assert!(first.events("state_made_private").is_empty());
    let journal = std::fs::read_to_string(dir.join(format!("{session}.journal"))).unwrap();
    assert!(!journal.is_empty(), "nothing was journaled");

    let widen = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    widen(&dir, 0o755);
    for (name, _) in file_modes(&dir) {
        widen(&dir.join(name), 0o644);
    }
    let (mut second, again) = run("second");
    assert_eq!(again, session);
    private(&session);
    let said = second.events("state_made_private");
    assert_eq!(said.len(), 1, "{said:?}");
    let text = said[0]["message"].as_str().unwrap();
    for widened in [
        "the directory",
        "default-session",
        ".lock",
        ".xkey",
        ".journal",
    ] {
        assert!(text.contains(widened), "{widened} not in {text}");
    }
}
