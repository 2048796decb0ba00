//! 4D's own session ids, end to end (docs/4d.md): a 4D remote client starts
//! its agent with the session's UUID from `Session.id` / `Get process
//! activity(Sessions only)` (32 uppercase hexadecimal characters) and its
//! `systemUserName`, which may hold a space. The reference page's two
//! examples, played with the real binaries in per-session identity mode,
//! the mode docs/4d.md sets up.

use e2e::expect_exit;
use e2e::identity::Identity;
use nix::sys::signal::Signal;
use serde_json::{json, Value};

/// Session UUIDs as 4D prints them (the example of `Session info`'s page).
const VANESSA_SESSION: &str = "3C81A8D7AFE64C2E9CCFFCDC35DC52F5";
const JOHN_SESSION: &str = "8FFDAE519F1F4DCDB81E8E8DB00AD101";

fn json_of(out: &std::process::Output, code: i32) -> Value {
    serde_json::from_str(&expect_exit(out, code)).expect("JSON output")
}

/// The reference page's scenario with 4D-shaped ids: both sessions are
/// listed with their 4D ids and system user names; the maintenance message
/// to everyone reaches both; "Hello Vanessa" sent the 4D way (each session
/// id of user "Vanessa" from the list) and the short way (`--user`) reaches
/// Vanessa's session only, never John Doe's; a message sent while her agent
/// was stopped is shown once when it comes back (its catch-up consumer is
/// named after the 32-character id).
#[test]
fn a_4d_session_uuid_works_end_to_end() {
    let identity = Identity::start();
    identity.setup_stream();
    let vanessa_creds = identity.agent_creds(VANESSA_SESSION, Some("Vanessa"));
    let state = tempfile::tempdir().unwrap();
    let vanessa_args = [
        "--session-id",
        VANESSA_SESSION,
        "--state-dir",
        state.path().to_str().unwrap(),
    ];
    let mut vanessa = identity.agent(&vanessa_creds, &vanessa_args);
    let mut john = identity.agent(&identity.agent_creds(JOHN_SESSION, Some("John Doe")), &[]);

    let listed = json_of(&identity.ops_publisher(&["sessions", "--json"]), 0);
    let mut rows: Vec<(&str, &str)> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["user"].as_str().unwrap()))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [(VANESSA_SESSION, "Vanessa"), (JOHN_SESSION, "John Doe")]
    );

    // SEND MESSAGE TO REMOTE USER($message)
    let maintenance = "A maintenance operation is scheduled for 10pm.";
    let report = json_of(
        &identity.ops_publisher(&["send", "--wait=10s", "--json", maintenance]),
        0,
    );
    assert_eq!(report["delivered"], json!(2), "{report}");
    assert_eq!(vanessa.next_text(), maintenance);
    assert_eq!(john.next_text(), maintenance);

    // For each session of "Vanessa": SEND MESSAGE TO REMOTE USER($message; $element.ID)
    let hers = json_of(
        &identity.ops_publisher(&["sessions", "--user", "Vanessa", "--json"]),
        0,
    );
    let ids: Vec<&str> = hers
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [VANESSA_SESSION]);
    let report = json_of(
        &identity.ops_publisher(&["send", "--session", ids[0], "--json", "Hello Vanessa"]),
        0,
    );
    assert_eq!(report["delivered"], json!(1), "{report}");
    assert_eq!(vanessa.next_text(), "Hello Vanessa");
    let report = json_of(
        &identity.ops_publisher(&["send", "--user", "Vanessa", "--json", "Hello again"]),
        0,
    );
    assert_eq!(report["delivered"], json!(1), "{report}");
    assert_eq!(vanessa.next_text(), "Hello again");

    // While Vanessa's agent is stopped, a message for her session is stored.
    vanessa.signal(Signal::SIGTERM);
    vanessa.wait_exit();
    expect_exit(
        &identity.ops_publisher(&[
            "send",
            "--session",
            VANESSA_SESSION,
            "--no-wait",
            "while you were away",
        ]),
        0,
    );
    let mut vanessa = identity.agent(&vanessa_creds, &vanessa_args);
    assert_eq!(vanessa.next_text(), "while you were away");

    // A marker to everyone comes next on both screens: nothing sent to
    // Vanessa reached John Doe, and nothing was shown twice.
    expect_exit(
        &identity.ops_publisher(&["send", "--wait=10s", "--json", "marker"]),
        0,
    );
    assert_eq!(vanessa.next_text(), "marker", "a message shown twice");
    assert_eq!(john.next_text(), "marker", "John Doe got Vanessa's message");
}

/// docs/4d.md's way of handing an agent its creds: `--creds -`, the creds
/// text on its stdin (4D's `postMessage`), stdin left open. The agent runs
/// as the session the creds name and shows what is sent to it; the creds
/// are nowhere on disk (the minted file is deleted first, and nothing in
/// its state directory holds them), and no `secret_file_readable` warning
/// comes, since there is no file.
#[test]
fn creds_handed_on_stdin_are_never_written() {
    let identity = Identity::start();
    identity.setup_stream();
    let minted = identity.agent_creds(VANESSA_SESSION, Some("Vanessa"));
    let creds = std::fs::read_to_string(&minted).unwrap();
    std::fs::remove_file(&minted).unwrap();
    let mut agent = e2e::Agent::spawn_with_stdin(
        &identity.url(),
        &["--creds", "-", "--session-id", VANESSA_SESSION],
        creds.as_bytes(),
    );
    let listening = agent.wait_event("listening");
    assert_eq!(listening["session"], VANESSA_SESSION);
    assert_eq!(listening["user"], "Vanessa");
    agent.wait_subscribed();
    expect_exit(
        &identity.ops_publisher(&["send", "--session", VANESSA_SESSION, "from stdin creds"]),
        0,
    );
    assert_eq!(agent.next_text(), "from stdin creds");

    let seed = creds.lines().find(|l| l.starts_with("SU")).unwrap();
    let jwt_claims = creds.lines().nth(1).unwrap().split('.').nth(1).unwrap();
    for entry in walk(agent.state_dir().expect("the harness's state dir")) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(seed) && !text.contains(jwt_claims),
            "{} holds the creds",
            entry.display()
        );
    }
    assert!(agent.events("secret_file_readable").is_empty());
}

/// `--creds -` with nothing on stdin stops the agent with exit 2
/// (`settings_invalid`) before it connects; the publisher, whose stdin may
/// be the message, refuses `--creds -` with exit 2 too.
#[test]
fn creds_on_stdin_must_be_creds() {
    let identity = Identity::start();
    let mut cmd = std::process::Command::new(e2e::procs::bin("subscriber"));
    cmd.args(["--server", &identity.url(), "--creds", "-"])
        .args(["--log-format", "json", "--output", "json"])
        .env("XDG_CONFIG_HOME", e2e::procs::NO_USER_CONFIG);
    let mut agent = e2e::Agent::spawn_command(cmd);
    agent.wait_event("settings_invalid");
    assert_eq!(agent.wait_exit().code(), Some(2));

    let out = e2e::publisher(&identity.url(), &["--creds", "-", "send", "x"]);
    expect_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--creds -"), "{stderr}");
}

/// Every file under `dir`, however deep.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
