//! Core delivery through a real nats-server: broadcast, session sends, input
//! validation, and the publisher's failure modes.

use e2e::exit::{SERVER, USAGE};
use e2e::raw::RawClient;
use e2e::server::free_port;
use e2e::{expect_exit, publisher, publisher_with_stdin, Agent, NatsServer};
use std::time::{Duration, Instant};

/// Ops broadcast a maintenance notice: both connected agents show it, with the
/// id, title, sender and target the publisher reported.
#[test]
fn broadcast_reaches_every_agent() {
    let server = NatsServer::start();
    let mut alice = Agent::start(&server.url(), "alice");
    let mut bob = Agent::start(&server.url(), "bob");

    let out = publisher(
        &server.url(),
        &[
            "send",
            "--title",
            "Maintenance",
            "--sender",
            "ops@srv1",
            "Restart at 10pm",
        ],
    );
    let stdout = expect_exit(&out, 0);
    let id = stdout
        .strip_prefix("sent ")
        .and_then(|rest| rest.strip_suffix(" to broadcast\n"))
        .unwrap_or_else(|| panic!("unexpected report {stdout:?}"));

    for agent in [&mut alice, &mut bob] {
        let m = agent.next_message();
        assert_eq!(m["text"], "Restart at 10pm");
        assert_eq!(m["title"], "Maintenance");
        assert_eq!(m["sender"], "ops@srv1");
        assert_eq!(m["id"], id);
        assert_eq!(m["subject"], "broadcast");
        assert_eq!(m["target"], "broadcast");
        assert_eq!(m["format"], "json");
        assert!(m["sent_at"].as_str().unwrap().ends_with('Z'));
        assert!(m["received_at"].is_string());
    }
}

/// A message to session "alice" is shown by alice only: bob's next message
/// is a broadcast sent afterwards, so he provably never got alice's.
#[test]
fn session_send_reaches_only_its_target() {
    let server = NatsServer::start();
    let mut alice = Agent::start(&server.url(), "alice");
    let mut bob = Agent::start(&server.url(), "bob");

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--session", "alice", "Hello Alice"],
        ),
        0,
    );
    assert!(
        stdout.contains(" to session.alice: delivered (json)\n"),
        "{stdout}"
    );
    let m = alice.next_message();
    assert_eq!(
        (m["text"].as_str(), m["target"].as_str()),
        (Some("Hello Alice"), Some("session"))
    );
    assert_eq!(m["subject"], "session.alice");

    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    assert_eq!(bob.next_text(), "marker");
    assert_eq!(alice.next_text(), "marker");
}

/// Each receipt says how its agent showed the message, and `send` reports
/// it: an agent printing terminal blocks is "delivered (terminal)" (on a
/// hidden console nobody reads it), a JSON agent "delivered (json)", one
/// that also hands messages to `--exec` "(json, exec)", whose program did
/// get it; `--json` has it per message as `shown`.
#[test]
fn receipts_say_how_each_agent_showed_the_message() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let hook = dir.path().join("on-message");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ncat >> '{}'\n", received.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut alice = Agent::start_with(&server.url(), "alice", &["--output", "terminal"]);
    let mut bob = Agent::start(&server.url(), "bob");
    let mut carol = Agent::start_with(&server.url(), "carol", &["--exec", hook.to_str().unwrap()]);

    let sessions = [
        "--session",
        "alice",
        "--session",
        "bob",
        "--session",
        "carol",
    ];
    let out = publisher(
        &server.url(),
        &[&["send", "--json"], &sessions[..], &["Hi"]].concat(),
    );
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    let shown: Vec<(&str, &serde_json::Value)> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["subject"].as_str().unwrap(), &m["shown"]))
        .collect();
    assert_eq!(
        shown,
        [
            ("session.alice", &serde_json::json!(["terminal"])),
            ("session.bob", &serde_json::json!(["json"])),
            ("session.carol", &serde_json::json!(["json", "exec"])),
        ],
        "{report}"
    );
    assert!(
        alice.next_line().is_empty(),
        "a block starts with a blank line"
    );
    assert!(alice
        .next_line()
        .starts_with("==== Message for you (session alice)"));
    assert_eq!(bob.next_text(), "Hi");
    assert_eq!(carol.next_text(), "Hi");
    let handed = e2e::procs::wait_json_lines(&received, 1, e2e::WAIT);
    assert_eq!(handed[0]["text"], "Hi");

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &[&["send"], &sessions[..], &["Again"]].concat(),
        ),
        0,
    );
    for line in [
        " to session.alice: delivered (terminal)\n",
        " to session.bob: delivered (json)\n",
        " to session.carol: delivered (json, exec)\n",
    ] {
        assert!(stdout.contains(line), "{line:?} missing in {stdout}");
    }
}

/// `--session` repeats like the 4D example's loop: one message per session,
/// each with its own id; an agent that was not named gets none of them.
#[test]
fn repeated_session_sends_one_message_to_each() {
    let server = NatsServer::start();
    let mut alice = Agent::start(&server.url(), "alice");
    let mut bob = Agent::start(&server.url(), "bob");
    let mut carol = Agent::start(&server.url(), "carol");

    let out = publisher(
        &server.url(),
        &[
            "send",
            "--json",
            "--session",
            "alice",
            "--session",
            "bob",
            "--session",
            "alice",
            "Hi",
        ],
    );
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(
        report["subjects"],
        serde_json::json!(["session.alice", "session.bob"])
    );
    let ids: Vec<&str> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);

    assert_eq!(alice.next_message()["id"], ids[0]);
    assert_eq!(bob.next_message()["id"], ids[1]);
    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    assert_eq!(carol.next_text(), "marker");
    assert_eq!(alice.next_text(), "marker", "alice got her message twice");
}

/// `-` reads the text from stdin, keeping inner newlines and dropping the
/// final one that `echo` adds.
#[test]
fn message_text_from_stdin() {
    let server = NatsServer::start();
    let mut alice = Agent::start(&server.url(), "alice");
    let out = publisher_with_stdin(&server.url(), &["send", "-"], Some(b"line one\nline two\n"));
    expect_exit(&out, 0);
    assert_eq!(alice.next_text(), "line one\nline two");
}

/// ntfy's habits, end to end: `send -t Hello -p max hi there` shows "hi
/// there" titled Hello at the urgent level, `-p 2` is low; `-` among other
/// words is a word, not stdin (which holds something else here).
#[test]
fn ntfy_habits_title_priority_and_unquoted_words() {
    let server = NatsServer::start();
    let mut alice = Agent::start(&server.url(), "alice");
    expect_exit(
        &publisher(
            &server.url(),
            &["send", "-t", "Hello", "-p", "max", "hi", "there"],
        ),
        0,
    );
    let shown = alice.next_message();
    assert_eq!(
        (
            shown["text"].as_str(),
            shown["title"].as_str(),
            shown["priority"].as_str()
        ),
        (Some("hi there"), Some("Hello"), Some("urgent")),
        "{shown}"
    );
    let out = publisher_with_stdin(
        &server.url(),
        &["send", "-p", "2", "a", "-", "b"],
        Some(b"not this\n"),
    );
    expect_exit(&out, 0);
    let shown = alice.next_message();
    assert_eq!(
        (shown["text"].as_str(), shown["priority"].as_str()),
        (Some("a - b"), Some("low")),
        "{shown}"
    );
}

/// Every malformed session id (and an empty text) is refused with exit 2
/// before anything reaches the wire: a tap on the message subjects sees only the
/// marker published afterwards. The agent refuses the same ids.
#[test]
fn bad_input_is_refused_with_nothing_on_the_wire() {
    let server = NatsServer::start();
    let mut tap = RawClient::connect(server.port());
    tap.subscribe_all(&["broadcast", "session.>", "marker"]);
    let long = "a".repeat(65);
    let bad_ids = ["", ".", "a.b", "*", ">", "a*", "a b", "é", long.as_str()];

    for id in bad_ids {
        let out = publisher(
            &server.url(),
            &["send", "--session", "alice", "--session", id, "x"],
        );
        expect_exit(&out, USAGE);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("1 to 64 characters of A-Z a-z 0-9 _ -"),
            "{stderr}"
        );

        let mut agent = Agent::spawn(&server.url(), &["--session-id", id]);
        assert_eq!(
            agent.wait_exit().code(),
            Some(USAGE),
            "agent accepted {id:?}"
        );
    }
    for empty_text in ["", "  \n"] {
        let out = publisher(&server.url(), &["send", empty_text]);
        expect_exit(&out, USAGE);
        assert!(String::from_utf8_lossy(&out.stderr).contains("message text is empty"));
    }
    expect_exit(
        &publisher_with_stdin(&server.url(), &["send", "-"], Some(b"\xff\xfe")),
        USAGE,
    );

    RawClient::connect(server.port()).publish("marker", b"m");
    let first = tap.next_message(Duration::from_secs(5)).expect("marker");
    assert_eq!(
        first.subject, "marker",
        "something was published: {first:?}"
    );
}

/// A message over the server's max_payload (1 KiB here) is refused with
/// exit 2 and nothing sent; one under it goes through.
#[test]
fn oversized_message_is_refused_before_sending() {
    let server = NatsServer::start_with_config("small_payload");
    let mut tap = RawClient::connect(server.port());
    tap.subscribe_all(&["broadcast", "session.>", "marker"]);

    let out = publisher(&server.url(), &["send", &"x".repeat(2000)]);
    expect_exit(&out, USAGE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("accepts at most 1024"), "{stderr}");

    expect_exit(&publisher(&server.url(), &["send", "small enough"]), 0);
    let first = tap.next_message(Duration::from_secs(5)).expect("a message");
    assert!(
        String::from_utf8_lossy(&first.payload).contains("small enough"),
        "{first:?}"
    );
    assert!(first.headers.unwrap().contains("Nats-Msg-Id"));
}

/// No server listening: the publisher fails in seconds with exit 3, names the
/// URL, says what to do, and never prints the password from the URL.
#[test]
fn publisher_without_server_fails_fast_and_keeps_secrets() {
    let url = format!("nats://ops:s3cretPW@127.0.0.1:{}", free_port());
    let started = Instant::now();
    let out = publisher(&url, &["send", "hello"]);
    let elapsed = started.elapsed();
    expect_exit(&out, SERVER);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach NATS at nats://ops:***@127.0.0.1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("is nats-server running? set --server or NATS_URL"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cretPW") && !out.stdout.windows(8).any(|w| w == b"s3cretPW"));
}

/// A server that accepts the TCP connection but never speaks: `--timeout`
/// bounds the wait and the publisher exits 3.
#[test]
fn connect_timeout_bounds_a_silent_server() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let started = Instant::now();
    let out = publisher(&url, &["send", "--timeout", "1s", "hello"]);
    expect_exit(&out, SERVER);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no answer within 1s"));
}
