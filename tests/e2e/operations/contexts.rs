//! `nats` CLI contexts: both binaries connect with nothing but a context
//! file, written as `nats context save` writes it, in a temporary
//! `XDG_CONFIG_HOME`; the selected context is used when none is named; the
//! command line and the environment win over it.

use e2e::identity::Identity;
use e2e::procs::{bin, finish_within};
use e2e::server::{free_port, AGENT_PASSWORD, OPS_PASSWORD};
use e2e::{expect_exit, stderr, Agent, NatsServer};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A context file with every field `nats context save` writes.
fn context_json(url: &str, user: &str, password: &str, creds: &str, extra: &str) -> String {
    format!(
        r#"{{
  "description": "written like nats context save",
  "url": "{url}",
  "socks_proxy": "",
  "token": "",
  "user": "{user}",
  "password": "{password}",
  "creds": "{creds}",
  "nkey": "",
  "cert": "",
  "key": "",
  "ca": "",
  "nsc": "",
  "jetstream_domain": "",
  "jetstream_api_prefix": "",
  "jetstream_event_prefix": "",
  "inbox_prefix": "",
  "user_jwt": "",
  "color_scheme": "",
  "tls_first": false{extra}
}}"#
    )
}

/// Saves `json` as context `name` under `config` (an XDG_CONFIG_HOME),
/// private as the `nats` CLI makes it.
fn save(config: &Path, name: &str, json: &str) {
    let dir = config.join("nats").join("context");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, json).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `nats context select NAME`.
fn select(config: &Path, name: &str) {
    std::fs::write(config.join("nats").join("context.txt"), name).unwrap();
}

/// `publisher <args>` with `config` as XDG_CONFIG_HOME, no NATS_URL unless
/// `env` gives it, bounded to 30 s.
fn publisher_in(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = Command::new(bin("publisher"))
        .args(args)
        .env_remove("NATS_URL")
        .env_remove("NATS_CONTEXT")
        .env_remove("RUST_LOG")
        .env("XDG_CONFIG_HOME", config)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn publisher");
    finish_within(
        child,
        Duration::from_secs(30),
        &format!("publisher {args:?}"),
    )
}

/// An agent with `config` as XDG_CONFIG_HOME and no --server.
fn agent_in(config: &Path, state: &Path, args: &[&str]) -> Agent {
    let mut cmd = Command::new(bin("subscriber"));
    cmd.args(["--output", "json", "--log-format", "json", "--state-dir"])
        .arg(state)
        .args(args)
        .env_remove("NATS_URL")
        .env_remove("NATS_CONTEXT")
        .env("XDG_CONFIG_HOME", config);
    Agent::spawn_command(cmd)
}

/// A server with ops and agent passwords; the agent reads context "agent"
/// (named with NATS_CONTEXT), the publisher the selected context "ops":
/// neither is given a server or a credential, and the message arrives with
/// its receipt. A wrong password in the selected context is refused, so
/// the context's credentials are really what is used.
#[test]
fn publisher_and_agent_connect_with_only_a_context() {
    let server = NatsServer::start_with_roles();
    let url = server.url();
    let config = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    save(
        config.path(),
        "ops",
        &context_json(&url, "ops", OPS_PASSWORD, "", ""),
    );
    save(
        config.path(),
        "agent",
        &context_json(&url, "agent", AGENT_PASSWORD, "", ""),
    );
    select(config.path(), "ops");

    let mut agent = {
        let mut cmd = Command::new(bin("subscriber"));
        cmd.args([
            "--output",
            "json",
            "--log-format",
            "json",
            "--session-id",
            "ctx-1",
        ])
        .arg("--state-dir")
        .arg(state.path())
        .env_remove("NATS_URL")
        .env("NATS_CONTEXT", "agent")
        .env("XDG_CONFIG_HOME", config.path());
        Agent::spawn_command(cmd)
    };
    agent.wait_subscribed();

    let out = publisher_in(
        config.path(),
        &["send", "--session", "ctx-1", "via a context"],
        &[],
    );
    let stdout = expect_exit(&out, 0);
    assert!(stdout.contains("delivered"), "{stdout}");
    assert_eq!(agent.next_text(), "via a context");

    save(
        config.path(),
        "ops",
        &context_json(&url, "ops", "wrong-password", "", ""),
    );
    let out = publisher_in(config.path(), &["send", "refused"], &[]);
    let err = stderr(&out);
    expect_exit(&out, 3);
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!err.contains("wrong-password"), "{err}");
}

/// Per-session identity: the agent's context names its creds file (and
/// the ops context the ops creds), with a `~`-free absolute path.
#[test]
fn a_context_with_creds_connects_as_that_identity() {
    let identity = Identity::start();
    let config = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let agent_creds = identity.agent_creds("ctx-creds", None);
    let ops_creds = identity.ops_creds();
    save(
        config.path(),
        "agent",
        &context_json(&identity.url(), "", "", agent_creds.to_str().unwrap(), ""),
    );
    save(
        config.path(),
        "ops",
        &context_json(&identity.url(), "", "", ops_creds.to_str().unwrap(), ""),
    );
    let mut agent = agent_in(config.path(), state.path(), &["--context", "agent"]);
    let listening = agent.wait_event("listening");
    assert_eq!(listening["session"], "ctx-creds", "{listening}");
    agent.wait_subscribed();
    let out = publisher_in(
        config.path(),
        &[
            "--context",
            "ops",
            "send",
            "--session",
            "ctx-creds",
            "signed",
        ],
        &[],
    );
    expect_exit(&out, 0);
    assert_eq!(agent.next_text(), "signed");
}

/// `--server` and NATS_URL win over the selected context's url (which
/// points where nothing listens), while its other fields still apply.
#[test]
fn server_and_nats_url_win_over_the_context_url() {
    let server = NatsServer::start();
    let config = tempfile::tempdir().unwrap();
    let dead = format!("nats://127.0.0.1:{}", free_port());
    save(config.path(), "stale", &context_json(&dead, "", "", "", ""));
    select(config.path(), "stale");

    let out = publisher_in(config.path(), &["--timeout", "1s", "sessions"], &[]);
    let err = stderr(&out);
    expect_exit(&out, 3);
    assert!(err.contains(&dead), "the context's url was used: {err}");

    let out = publisher_in(config.path(), &["--server", &server.url(), "sessions"], &[]);
    expect_exit(&out, 0);
    let out = publisher_in(config.path(), &["sessions"], &[("NATS_URL", &server.url())]);
    expect_exit(&out, 0);
}

/// A named context that does not exist, and one that is not JSON, stop
/// with exit 2 and a message naming the file; fields we cannot honour
/// are named in one `context_unsupported` warning; a password typed as
/// --password warns `secret_on_command_line`.
#[test]
fn bad_contexts_exit_2_and_unsupported_fields_warn() {
    let server = NatsServer::start();
    let config = tempfile::tempdir().unwrap();
    let out = publisher_in(config.path(), &["--context", "nope", "sessions"], &[]);
    let err = stderr(&out);
    expect_exit(&out, 2);
    let file = config.path().join("nats/context/nope.json");
    assert!(err.contains(&file.display().to_string()), "{err}");

    save(config.path(), "broken", "{ \"url\": ");
    let out = publisher_in(config.path(), &["--context", "broken", "sessions"], &[]);
    let err = stderr(&out);
    expect_exit(&out, 2);
    assert!(err.contains("broken.json"), "{err}");

    // An unknown field (a newer CLI's) is ignored; two unsupported ones are set.
    let extra = ",\n  \"windows_cert_store\": \"\"";
    let json = context_json(&server.url(), "", "", "", extra)
        .replace("\"socks_proxy\": \"\"", "\"socks_proxy\": \"proxy:1080\"")
        .replace("\"nsc\": \"\"", "\"nsc\": \"nsc://o/a/u\"");
    save(config.path(), "odd", &json);
    let out = publisher_in(
        config.path(),
        &["--log-format", "json", "--context", "odd", "sessions"],
        &[],
    );
    let err = stderr(&out);
    expect_exit(&out, 0);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("context_unsupported"))
        .collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("socks_proxy, nsc"), "{err}");
    assert!(!warnings[0].contains("tls_first"), "{err}");

    let out = publisher_in(
        config.path(),
        &[
            "--log-format",
            "json",
            "--server",
            &server.url(),
            "--user",
            "u",
            "--password",
            "pw-typed",
            "sessions",
        ],
        &[],
    );
    let err = stderr(&out);
    assert!(
        err.contains("secret_on_command_line") && err.contains("--password"),
        "{err}"
    );
    assert!(!err.contains("pw-typed"), "{err}");
    let out = publisher_in(
        config.path(),
        &[
            "--log-format",
            "json",
            "--server",
            &server.url(),
            "sessions",
        ],
        &[("NATS_USER", "u"), ("NATS_PASSWORD", "pw-env")],
    );
    assert!(
        !stderr(&out).contains("secret_on_command_line"),
        "{}",
        stderr(&out)
    );
}
