//! Both binaries over WebSocket (`ws://`) and WebSocket over TLS (`wss://`),
//! as agents behind a proxy that passes only HTTPS connect: a nats-server
//! with a `websocket` listener, and every flow through it alone.

use e2e::tls::TestPki;
use e2e::{expect_exit, publisher, Agent, NatsServer};
use nix::sys::signal::Signal;

/// Over plain WebSocket: broadcast, a session send with receipt, the session
/// list, and catch-up after an agent restart.
#[test]
fn every_flow_works_over_ws() {
    let server = NatsServer::start_with_websocket(None);
    every_flow(&server.websocket_url(false), &[]);
}

/// Over WebSocket with TLS, the server's certificate checked with
/// `--tls-ca`: the same flows.
#[test]
fn every_flow_works_over_wss() {
    let pki = TestPki::new();
    let server = NatsServer::start_with_websocket(Some(&pki));
    let ca = pki.path("ca.pem");
    every_flow(
        &server.websocket_url(true),
        &["--tls-ca", ca.to_str().unwrap()],
    );
}

/// Agents alice and bob and the publisher all on `url` (with `tls`
/// options): a broadcast reaches both; a send to alice with `--wait` is
/// delivered to her and not to bob; `sessions --json` lists both; a
/// message sent while alice is down is shown once when she is back.
fn every_flow(url: &str, tls: &[&str]) {
    let run = |args: &[&str]| publisher(url, &[tls, args].concat());
    expect_exit(&run(&["setup"]), 0);
    let state = tempfile::tempdir().unwrap();
    let state = state.path().to_str().unwrap();
    let alice_args = [&["--state-dir", state][..], tls].concat();
    let mut alice = Agent::start_with(url, "alice", &alice_args);
    let mut bob = Agent::start_with(url, "bob", tls);
    // Connected over the websocket URL, the only one they were given.
    let connected = alice.logs().join("\n");
    assert!(
        connected.contains(&format!("connected to NATS at {url}")),
        "{connected}"
    );

    expect_exit(&run(&["send", "to everyone"]), 0);
    assert_eq!(alice.next_text(), "to everyone");
    assert_eq!(bob.next_text(), "to everyone");

    let stdout = expect_exit(
        &run(&["send", "--wait", "--session", "alice", "for alice"]),
        0,
    );
    assert!(
        stdout.contains(" to session.alice: delivered") && stdout.contains("delivered to 1 of 1"),
        "{stdout}"
    );
    assert_eq!(alice.next_text(), "for alice");
    // Bob's next message is the one sent after: he never got alice's.
    expect_exit(&run(&["send", "marker"]), 0);
    assert_eq!(bob.next_text(), "marker");
    assert_eq!(alice.next_text(), "marker");

    let listed: serde_json::Value =
        serde_json::from_str(&expect_exit(&run(&["sessions", "--json"]), 0)).unwrap();
    let mut ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["alice", "bob"]);

    alice.signal(Signal::SIGTERM);
    alice.wait_exit();
    expect_exit(
        &run(&["send", "--no-wait", "--session", "alice", "while away"]),
        0,
    );
    let mut alice = Agent::start_with(url, "alice", &alice_args);
    // Only what she missed, not what she showed before stopping.
    assert_eq!(alice.next_text(), "while away");
    expect_exit(&run(&["send", "second marker"]), 0);
    assert_eq!(alice.next_text(), "second marker");
    assert_eq!(bob.next_text(), "second marker");
}
