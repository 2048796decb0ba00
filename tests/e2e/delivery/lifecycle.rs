//! The message lifecycle at the agent: the ledger rows it writes
//! (`ledger.<send>.<session>`), answers given with `subscriber answer` or by
//! the `--exec` program, recall orders (live, and stored while an agent was
//! stopped) and reminders until read. (The broker refusing rows written
//! for another session is in `security::identity`.) A raw ops client
//! publishes envelopes and reads the rows on a core subscription to
//! `ledger.>`; real `subscriber` processes do the rest.

use e2e::procs::run_binary;
use e2e::raw::RawClient;
use e2e::{expect_exit, publisher, Agent, NatsServer, WAIT};
use remote_message::{Answers, Envelope, SendId, Target};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The ops side: publishes envelopes, reads the agents' ledger rows (two
/// connections: a publish's round trip passes over what comes meanwhile).
struct Ops {
    publisher: RawClient,
    rows: RawClient,
}

impl Ops {
    fn connect(server: &NatsServer) -> Ops {
        let mut rows = RawClient::connect(server.port());
        rows.subscribe("ledger.>");
        Ops {
            publisher: RawClient::connect(server.port()),
            rows,
        }
    }

    /// Publishes `envelope` on `target`'s subject.
    fn send(&mut self, target: &Target, envelope: &Envelope) {
        self.publisher
            .publish(&target.subject(), &envelope.to_payload());
    }

    /// Waits (at most [`WAIT`]) for the row `event` on `subject`, passing
    /// the others; returns its payload.
    fn row(&mut self, subject: &str, event: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(message) = self.rows.next_message(left) else {
                panic!("no {event} row on {subject} within {WAIT:?}; rows seen: {seen:?}");
            };
            let row: Value = serde_json::from_slice(&message.payload).expect("a JSON row");
            if message.subject == subject && row["event"] == event {
                return row;
            }
            seen.push((message.subject, row));
        }
    }
}

/// A message of send `send` to `target` asking `answers`.
fn asking(send: &str, target: &Target, text: &str, answers: &[&str]) -> Envelope {
    let id = SendId::parse(send).unwrap().message_id(target);
    Envelope::with_id(id, text.into(), None, Some("ops@test".into()))
        .unwrap()
        .with_answers(Answers::parse(answers).unwrap())
}

/// Runs `subscriber --server <url> --state-dir <dir> --session-id
/// <session> <command> <args>`: the agent's own options, then the command.
pub(crate) fn act(
    server: &NatsServer,
    command: &str,
    dir: &Path,
    session: &str,
    args: &[&str],
) -> std::process::Output {
    let mut all = vec![
        "--server",
        &server.url(),
        "--state-dir",
        dir.to_str().unwrap(),
        "--session-id",
        session,
        command,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run_binary("subscriber", &all, &[])
}

/// A terminal agent shows the choices and how to answer; its `delivered`
/// row comes; `subscriber answer` (by number) writes the `answered` row
/// via terminal; a second answer is refused naming the first (exit 9), a
/// wrong label lists the choices (exit 2), an unknown id exits 8.
#[test]
fn subscriber_answer_writes_the_answered_row() {
    let server = NatsServer::start();
    let mut ops = Ops::connect(&server);
    let mut agent = Agent::start_with(&server.url(), "alice", &["--output", "terminal"]);
    let dir = agent.state_dir().unwrap().to_owned();
    let alice = Target::Session("alice".parse().unwrap());
    ops.send(
        &alice,
        &asking(
            "q1",
            &alice,
            "May I restart now?",
            &["Restart now", "In 1 hour"],
        ),
    );
    let block = agent.next_block();
    assert!(block.contains(&"» 1. Restart now".to_owned()), "{block:?}");
    assert!(block.contains(&"» 2. In 1 hour".to_owned()), "{block:?}");
    assert!(
        block
            .iter()
            .any(|l| l.contains("subscriber answer q1-alice <label or number>")),
        "{block:?}"
    );
    let delivered = ops.row("ledger.q1.alice", "delivered");
    assert_eq!(delivered["shown"], serde_json::json!(["terminal"]));

    let out = act(&server, "answer", &dir, "alice", &["q1-alice", "2"]);
    let said = expect_exit(&out, 0);
    assert!(said.contains("In 1 hour"), "{said}");
    let answered = ops.row("ledger.q1.alice", "answered");
    assert_eq!(answered["answer"], "In 1 hour");
    assert_eq!(answered["via"], "terminal");
    assert_eq!(answered["session"], "alice");

    let twice = act(&server, "answer", &dir, "alice", &["q1-alice", "1"]);
    assert_eq!(twice.status.code(), Some(9));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("In 1 hour"));
    let unknown = act(&server, "answer", &dir, "alice", &["nope", "1"]);
    assert_eq!(unknown.status.code(), Some(8));
    ops.send(&alice, &asking("q2", &alice, "Coffee?", &["Yes", "No"]));
    agent.next_block();
    let wrong = act(&server, "answer", &dir, "alice", &["q2-alice", "Maybe"]);
    assert_eq!(wrong.status.code(), Some(2));
    let listed = String::from_utf8_lossy(&wrong.stderr).to_string();
    assert!(listed.contains(r#"1 "Yes", 2 "No""#), "{listed}");
}

/// Writes an executable `/bin/sh` script into `dir`.
pub(crate) fn script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("on-message");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The `--exec` program gets the labels in its JSON and answers by
/// printing one on its stdout: an `answered` row via exec.
#[test]
fn an_exec_program_answers_on_its_stdout() {
    let server = NatsServer::start();
    let mut ops = Ops::connect(&server);
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let hook = script(
        dir.path(),
        &format!("cat >> '{}'; echo 'restart now'", received.display()),
    );
    let _agent = Agent::start_with(&server.url(), "bob", &["--exec", hook.to_str().unwrap()]);
    ops.send(
        &Target::Broadcast,
        &asking(
            "q3",
            &Target::Broadcast,
            "May I restart now?",
            &["Restart now", "Later"],
        ),
    );
    let lines = e2e::procs::wait_json_lines(&received, 1, WAIT);
    assert_eq!(
        lines[0]["answers"],
        serde_json::json!(["Restart now", "Later"])
    );
    let answered = ops.row("ledger.q3.bob", "answered");
    assert_eq!(answered["answer"], "Restart now");
    assert_eq!(answered["via"], "exec");
}

/// A recall order takes the message down at a terminal agent (its
/// recalled line, a `recalled` row seen=true); an agent stopped while the
/// message and its recall were sent never shows it after its restart
/// (both come in one catch-up batch) and writes `recalled` seen=false; the
/// next message it shows is a later marker.
#[test]
fn recall_takes_down_and_an_agent_stopped_meanwhile_never_shows_it() {
    let server = NatsServer::start();
    expect_exit(&publisher(&server.url(), &["setup"]), 0);
    let mut ops = Ops::connect(&server);
    let mut carol = Agent::start_with(&server.url(), "carol", &["--output", "terminal"]);
    let dave_dir = tempfile::tempdir().unwrap();
    let dave_args = ["--state-dir", dave_dir.path().to_str().unwrap()];
    let mut dave = Agent::start_with(&server.url(), "dave", &dave_args);
    dave.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(dave.wait_exit().code(), Some(0));

    let send = SendId::parse("r1").unwrap();
    let message = Envelope::with_id(
        send.message_id(&Target::Broadcast),
        "Wrong date, sorry".into(),
        None,
        None,
    )
    .unwrap();
    ops.send(&Target::Broadcast, &message);
    carol.next_block();
    ops.row("ledger.r1.carol", "delivered");
    ops.send(&Target::Broadcast, &Envelope::recall(&send, None));
    let line = carol.next_line();
    let line = if line.is_empty() {
        carol.next_line()
    } else {
        line
    };
    assert_eq!(line, "==== Message r1 was recalled by its sender ====");
    assert_eq!(ops.row("ledger.r1.carol", "recalled")["seen"], true);

    let mut dave = Agent::start_with(&server.url(), "dave", &dave_args);
    assert_eq!(ops.row("ledger.r1.dave", "recalled")["seen"], false);
    let marker = Envelope::new("marker".into(), None, None).unwrap();
    ops.send(&Target::Broadcast, &marker);
    assert_eq!(dave.next_text(), "marker");
}

/// A message with `remind_every` is shown again (marked `"reminder":n`)
/// until `subscriber read`; after it, a second reminding message is shown
/// and reminded with no reminder of the first in between (its next one was
/// due before).
#[test]
fn remind_shows_again_until_read_and_not_after() {
    let server = NatsServer::start();
    let mut ops = Ops::connect(&server);
    let mut agent = Agent::start(&server.url(), "erin");
    let dir = agent.state_dir().unwrap().to_owned();
    let erin = Target::Session("erin".parse().unwrap());
    let every = Duration::from_secs(2);
    let reminding = |send: &str, text: &str| {
        Envelope::with_id(
            SendId::parse(send).unwrap().message_id(&erin),
            text.into(),
            None,
            None,
        )
        .unwrap()
        .reminding_every(every)
        .expiring_after(Duration::from_secs(120))
    };
    ops.send(&erin, &reminding("m1", "Please read"));
    let first = agent.next_message();
    assert_eq!(first["id"], "m1-erin");
    assert!(first.get("reminder").is_none(), "{first}");
    for n in 1..=2 {
        let again = agent.next_message();
        assert_eq!(
            (again["id"].as_str(), again["reminder"].as_u64()),
            (Some("m1-erin"), Some(n))
        );
    }
    expect_exit(&act(&server, "read", &dir, "erin", &["m1-erin"]), 0);
    assert_eq!(ops.row("ledger.m1.erin", "read")["session"], "erin");

    ops.send(&erin, &reminding("m2", "Marker"));
    let shown = agent.next_message();
    assert_eq!(
        shown["id"], "m2-erin",
        "m1 reminded after it was read: {shown}"
    );
    let again = agent.next_message();
    assert_eq!(
        (again["id"].as_str(), again["reminder"].as_u64()),
        (Some("m2-erin"), Some(1)),
        "m1 reminded after it was read: {again}"
    );
}

/// A message shown with a ttl and never read reaches its `expires_at`: the
/// agent writes its `expired` row then.
#[test]
fn an_unread_message_that_expires_gets_an_expired_row() {
    let server = NatsServer::start();
    let mut ops = Ops::connect(&server);
    let mut agent = Agent::start(&server.url(), "frank");
    let message = Envelope::with_id("x1".into(), "Short-lived".into(), None, None)
        .unwrap()
        .expiring_after(Duration::from_secs(2));
    ops.send(&Target::Broadcast, &message);
    assert_eq!(agent.next_text(), "Short-lived");
    ops.row("ledger.x1.frank", "delivered");
    ops.row("ledger.x1.frank", "expired");
}
