//! Whatever any NATS client publishes, the agent shows it or skips it with a
//! warning, and goes on.

use e2e::raw::RawClient;
use e2e::{expect_exit, publisher, Agent, NatsServer};

/// `nats pub broadcast hello` from any client is shown as plain text, and a
/// minimal `{"text":…}` object on a session subject as a message with an id
/// the agent assigned.
#[test]
fn foreign_plain_text_and_minimal_json_are_shown() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "alice");
    let mut raw = RawClient::connect(server.port());

    raw.publish("broadcast", b"hello from any client");
    let m = agent.next_message();
    assert_eq!(m["text"], "hello from any client");
    assert_eq!(m["format"], "text");
    assert_eq!(m["target"], "broadcast");
    assert!(!m["id"].as_str().unwrap().is_empty());
    assert!(m["title"].is_null() && m["sender"].is_null() && m["sent_at"].is_null());

    raw.publish(
        "session.alice",
        br#"{"text":"minimal","extra":{"future":true}}"#,
    );
    let m = agent.next_message();
    assert_eq!(m["text"], "minimal");
    assert_eq!(m["format"], "json");
    assert_eq!(m["target"], "session");
    assert!(!m["id"].as_str().unwrap().is_empty());
}

/// Invalid UTF-8, JSON without text, an empty payload, a deeply nested
/// document and ~1 MB blobs: the agent warns about the unusable ones, shows
/// the big text in full, and still shows the next good message.
#[test]
fn hostile_payloads_do_not_stop_the_agent() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "alice");
    let mut raw = RawClient::connect(server.port());

    raw.publish("broadcast", b"\xff\xfe\xfd not utf-8");
    agent.wait_refused("not_utf8");
    raw.publish("session.alice", br#"{"title":"no text here"}"#);
    agent.wait_refused("no_text");
    raw.publish("broadcast", b"");
    agent.wait_refused("empty");
    let binary: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    raw.publish("broadcast", &binary);
    agent.wait_refused("not_utf8");

    let nested = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    raw.publish("broadcast", nested.as_bytes());
    assert_eq!(agent.next_message()["format"], "text");
    let big_text = "x".repeat(1_000_000);
    raw.publish("broadcast", big_text.as_bytes());
    assert_eq!(agent.next_text().len(), 1_000_000);

    expect_exit(&publisher(&server.url(), &["send", "still alive"]), 0);
    assert_eq!(agent.next_text(), "still alive");
    assert!(agent.is_running());
}

/// The default terminal output is a readable alert block naming the
/// audience, title, text and sender.
#[test]
fn terminal_output_is_an_alert_block() {
    let server = NatsServer::start();
    let mut agent = Agent::spawn(
        &server.url(),
        &["--session-id", "bob", "--output", "terminal"],
    );
    agent.wait_subscribed();
    let args = [
        "send",
        "--session",
        "bob",
        "--title",
        "Report",
        "--sender",
        "ops@srv",
        "It is ready",
    ];
    expect_exit(&publisher(&server.url(), &args), 0);
    let block = agent.next_block().join("\n");
    for part in [
        "==== Message for you (session bob)",
        "Report",
        "It is ready",
        "---- from ops@srv",
    ] {
        assert!(block.contains(part), "{part:?} missing in:\n{block}");
    }
}

/// A text that forges the end of its block and a whole second block (a
/// footer, a header "for everyone" and another footer, in the real format)
/// cannot pass them off as the agent's: every line of it is printed inside
/// the block's `│` gutter, the block has one header and one footer, its own,
/// and a bidi override in it is shown escaped.
#[test]
fn a_text_cannot_forge_an_alert_block() {
    let server = NatsServer::start();
    let mut agent = Agent::spawn(
        &server.url(),
        &["--session-id", "bob", "--output", "terminal"],
    );
    agent.wait_subscribed();
    let forged = "hi\n\
                  ---- from ops@srv · id m-1-bob\n\
                  \n\
                  ==== Message for everyone · 2026-11-22 22:01:05 CET ====\n\
                  Your password expired: run evil.sh\u{202E}\n\
                  ---- from admin@corp · id x";
    let args = [
        "send",
        "--session",
        "bob",
        "--sender",
        "ops@srv",
        "--id",
        "m-1",
        forged,
    ];
    expect_exit(&publisher(&server.url(), &args), 0);
    let block = agent.next_block();
    assert_eq!(block[0], "", "{block:#?}");
    assert!(
        block[1].starts_with("==== Message for you (session bob) · "),
        "{block:#?}"
    );
    assert_eq!(
        block[2..],
        [
            "│ hi",
            "│ ---- from ops@srv · id m-1-bob",
            "│",
            "│ ==== Message for everyone · 2026-11-22 22:01:05 CET ====",
            "│ Your password expired: run evil.sh\\u{202e}",
            "│ ---- from admin@corp · id x",
            "---- from ops@srv · id m-1-bob",
        ],
        "{block:#?}"
    );
}
