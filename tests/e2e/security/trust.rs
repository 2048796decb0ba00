//! The publisher trusts only what the broker authenticated: identity comes
//! from the subject of a receipt or a session-list answer, never from its
//! payload; listings are bounded; a second agent cannot take a live session
//! id; and a listener on every inbox cannot stop an agent's confirmation
//! and catch-up. Played with real binaries and a raw client.

use e2e::exit::NOT_CONFIRMED;
use e2e::server::{AGENT_PASSWORD, OPS_PASSWORD};
use e2e::{expect_exit, publisher, Agent, NatsServer, RawClient};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Plays session `bob` with a raw client: answers its presence, and sends a
/// receipt for every message on `session.bob` on the subject and with the
/// payload session `forge` chooses (from the `Receipt-To` value).
fn fake_bob(
    port: u16,
    forge: fn(&str) -> (String, &'static str),
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let mut raw = RawClient::connect(port);
    raw.subscribe_all(&["session.bob", "session.bob.presence"]);
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            let Some(m) = raw.next_message(Duration::from_millis(50)) else {
                continue;
            };
            if m.subject == "session.bob.presence" {
                raw.publish(&m.reply.unwrap(), br#"{"session":"bob"}"#);
                continue;
            }
            let headers = m.headers.unwrap_or_default();
            let receipt_to = headers
                .lines()
                .find_map(|l| l.strip_prefix("Receipt-To: "))
                .expect("a waiting send names Receipt-To")
                .trim()
                .to_owned();
            let payload: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            let (subject, session) = forge(&receipt_to);
            let receipt = serde_json::json!({
                "id": payload["id"], "session": session, "status": "delivered",
                "at": "2026-11-22T21:00:00Z",
            });
            raw.publish(&subject, receipt.to_string().as_bytes());
        }
    })
}

/// Runs `send --session bob --wait=2s --json` against a fake bob that
/// forges receipts as `forge` says; returns (exit code, report).
fn send_to_fake_bob(forge: fn(&str) -> (String, &'static str)) -> (i32, serde_json::Value) {
    let server = NatsServer::start();
    let stop = Arc::new(AtomicBool::new(false));
    let bob = fake_bob(server.port(), forge, stop.clone());
    let out = publisher(
        &server.url(),
        &["send", "--session", "bob", "--wait=2s", "--json", "hi"],
    );
    stop.store(true, Ordering::SeqCst);
    bob.join().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code().unwrap(), report)
}

/// A receipt counts only when its payload names the session its subject
/// ends with: one on `<Receipt-To>.mallory` saying "bob", or one on
/// `<Receipt-To>.bob` saying "mallory", confirms nothing (exit 4); the
/// same fake answering honestly on `<Receipt-To>.bob` is delivered (so the
/// fake does reach the publisher). Its receipts, like an agent's from
/// before receipts said how a message was shown, have no `shown`: the
/// report has none either, as before.
#[test]
fn a_receipt_naming_another_session_than_its_subject_is_ignored() {
    let (code, report) = send_to_fake_bob(|to| (format!("{to}.mallory"), "bob"));
    assert_eq!(code, NOT_CONFIRMED, "{report}");
    assert_eq!(report["delivered"], 0, "{report}");
    let (code, report) = send_to_fake_bob(|to| (format!("{to}.bob"), "mallory"));
    assert_eq!(code, NOT_CONFIRMED, "{report}");
    assert_eq!(report["delivered"], 0, "{report}");
    let (code, report) = send_to_fake_bob(|to| (format!("{to}.bob"), "bob"));
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(report["messages"][0]["outcome"], "delivered", "{report}");
    assert!(report["messages"][0].get("shown").is_none(), "{report}");
}

/// A raw client answers the session list: once on a malformed entry
/// subject, once with an entry over 4 KiB, once correctly. `sessions` lists
/// only the correct one, id and user from its subject, and warns once,
/// naming how many answers it ignored and why.
#[test]
fn malformed_and_oversized_list_answers_are_ignored_with_one_warning() {
    let server = NatsServer::start();
    let mut raw = RawClient::connect(server.port());
    raw.subscribe("sessions.ping");
    let stop = Arc::new(AtomicBool::new(false));
    let answering = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let entry = r#"{"host":"h","os":"o","version":"1","since":"2026-01-01T00:00:00Z","id":"victim","user":"vanessa"}"#;
            let big = format!(
                r#"{{"host":"{}","os":"o","version":"1","since":"2026-01-01T00:00:00Z"}}"#,
                "x".repeat(5000)
            );
            while !stop.load(Ordering::SeqCst) {
                let Some(ping) = raw.next_message(Duration::from_millis(50)) else {
                    continue;
                };
                let reply = ping.reply.unwrap();
                raw.publish(&format!("{reply}.not.an.entry"), entry.as_bytes());
                raw.publish(&format!("{reply}.big.-"), big.as_bytes());
                raw.publish(&format!("{reply}.good.626f62"), entry.as_bytes());
            }
        })
    };
    let out = publisher(&server.url(), &["sessions", "--json"]);
    stop.store(true, Ordering::SeqCst);
    answering.join().unwrap();
    let listed = expect_exit(&out, 0);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0]["id"].as_str(), listed[0]["user"].as_str()),
        (Some("good"), Some("bob"))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("answer(s) ignored").count(), 1, "{stderr}");
    assert!(
        stderr.contains("2 answer(s) ignored: 1 malformed, 1 over 4096 bytes"),
        "{stderr}"
    );
}

/// A second agent started for a live session id refuses to start (exit 2,
/// event `session_taken`), and the first keeps getting its messages.
#[test]
fn a_second_agent_for_a_live_id_exits_2_and_the_first_keeps_its_messages() {
    let server = NatsServer::start();
    let mut first = Agent::start(&server.url(), "alice");
    let mut second = Agent::spawn(&server.url(), &["--session-id", "alice"]);
    assert_eq!(second.wait_exit().code(), Some(2));
    let taken = second.events("session_taken");
    assert_eq!(taken.len(), 1, "{:?}", second.logs());
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "alice", "still mine"]),
        0,
    );
    assert_eq!(first.next_text(), "still mine");
}

/// Shared-password mode: a raw client with the agent password listening on
/// `_INBOX.>` (it gets a copy of every inbox message) no longer stops an
/// agent's confirmation: the agent confirms with an echo on its own inbox
/// prefix, so it still says `subscribed` and catches up what it missed.
#[test]
fn a_listener_on_every_inbox_does_not_stop_confirmation_or_catch_up() {
    let server = NatsServer::start_with_roles();
    let agent_url = server.url_as("agent", AGENT_PASSWORD);
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    expect_exit(&publisher(&ops_url, &["setup"]), 0);
    let mut listener = RawClient::connect_as(server.port(), "agent", AGENT_PASSWORD);
    listener.subscribe("_INBOX.>");
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let mut alice = Agent::start_with(&agent_url, "alice", &["--state-dir", dir]);
    alice.signal(nix::sys::signal::Signal::SIGTERM);
    alice.wait_exit();
    expect_exit(&publisher(&ops_url, &["send", "while you were away"]), 0);
    let mut alice = Agent::start_with(&agent_url, "alice", &["--state-dir", dir]);
    assert_eq!(alice.next_text(), "while you were away");
    // The listener did see the agent's inbox traffic: it was really there.
    let seen = listener
        .next_message(Duration::from_secs(5))
        .expect("inbox traffic");
    assert!(seen.subject.starts_with("_INBOX."), "{seen:?}");
    assert!(alice.events("subscription_unconfirmed").is_empty());
}
