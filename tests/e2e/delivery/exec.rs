//! The `--exec PROGRAM` hook: a program of the user's run once per message,
//! with the message as one JSON object on its stdin, never through a shell;
//! programs that fail or hang are logged and the agent goes on.

use e2e::{expect_exit, publisher, Agent, NatsServer, WAIT};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Writes an executable `/bin/sh` script into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// The JSON lines the hook appended to `path`, once there are `count`,
/// waiting at most [`WAIT`].
fn wait_lines(path: &Path, count: usize) -> Vec<Value> {
    e2e::procs::wait_json_lines(path, count, WAIT)
}

/// A message whose text is shell syntax — `$(touch …)`, backticks, `;` — is
/// handed to the program as data: the program gets the exact text in its
/// JSON, once per message, and no file is ever created.
#[test]
fn message_text_is_data_never_code() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let hook = script(
        dir.path(),
        "on-message",
        &format!("cat >> '{}'", received.display()),
    );
    let mut agent = Agent::start_with(&server.url(), "dave", &["--exec", hook.to_str().unwrap()]);

    let pwned = dir.path().join("pwned");
    let hostile = format!(
        "$(touch {p}) `touch {p}` ; touch {p} && echo $HOME",
        p = pwned.display()
    );
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "dave", &hostile]),
        0,
    );
    expect_exit(
        &publisher(&server.url(), &["send", "--priority", "high", "second"]),
        0,
    );
    let lines = wait_lines(&received, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["text"], hostile.as_str());
    assert_eq!(lines[0]["subject"], "session.dave");
    assert_eq!(lines[1]["text"], "second");
    assert_eq!(lines[1]["priority"], "high");
    assert!(!pwned.exists(), "the message text was run as code");
    // The agent's own output is unchanged by the hook.
    assert_eq!(agent.next_text(), hostile);
    assert_eq!(agent.next_text(), "second");
}

/// A program that fails is logged with its exit status; one that hangs is
/// killed after `--exec-timeout` (with what it started) and logged; the
/// agent shows every message meanwhile and runs the hook for the next one.
#[test]
fn failing_and_hanging_programs_are_logged_and_the_agent_goes_on() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    // A sleep nobody else runs, to see that the timeout killed it.
    let marker = "31.4159";
    let hook = script(
        dir.path(),
        "moody",
        &format!(
            "input=$(cat)\n\
             case \"$input\" in\n\
               *'\"text\":\"fail\"'*) exit 3 ;;\n\
               *'\"text\":\"hang\"'*) sleep {marker}; exit 0 ;;\n\
             esac\n\
             printf '%s\\n' \"$input\" >> '{}'",
            received.display()
        ),
    );
    let mut agent = Agent::start_with(
        &server.url(),
        "erin",
        &["--exec", hook.to_str().unwrap(), "--exec-timeout", "1s"],
    );

    for text in ["fail", "hang", "fine"] {
        expect_exit(
            &publisher(&server.url(), &["send", "--session", "erin", text]),
            0,
        );
        assert_eq!(
            agent.next_text(),
            text,
            "the agent stopped showing messages"
        );
    }
    let failed = agent.wait_event("exec_failed");
    assert_eq!(failed["status"], 3, "{failed}");
    agent.wait_event("exec_killed");
    let lines = wait_lines(&received, 1);
    assert_eq!(lines[0]["text"], "fine");
    assert!(agent.is_running());

    // The hanging program's own child (the sleep) was killed with it.
    let deadline = Instant::now() + WAIT;
    while sleep_is_running(marker) {
        assert!(
            Instant::now() < deadline,
            "the hook's sleep outlived the timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sleep_is_running(marker: &str) -> bool {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .any(|cmdline| {
            let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            words.len() >= 2 && words[0].ends_with(b"sleep") && words[1] == marker.as_bytes()
        })
}

/// `--exec` naming no program the agent can run is a usage error at start
/// (exit 2), not a warning per message.
#[test]
fn an_exec_program_that_does_not_exist_is_refused_at_start() {
    let server = NatsServer::start();
    let mut agent = Agent::spawn(
        &server.url(),
        &["--session-id", "frank", "--exec", "/nonexistent/on-message"],
    );
    let missing = agent.wait_event("exec_missing");
    // It names the program the user gave.
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("/nonexistent/on-message")),
        "{missing}"
    );
    assert_eq!(agent.wait_exit().code(), Some(2));
}
