//! Nothing lost, nothing shown twice: restarts of the server, of agents,
//! cut connections and a lost cluster node, with the stream catching agents
//! up; plus expiry, retried sends and servers without JetStream.

use e2e::proxy::Proxy;
use e2e::{expect_exit, publisher, Agent, NatsServer, RawClient};
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// Sends "msg NNN" with `--id seq-NNN`, retrying while the send fails.
fn send_numbered(server_url: &str, n: usize) {
    send_retrying(server_url, &format!("seq-{n:03}"), &format!("msg {n:03}"));
}

/// Sends a broadcast, retrying while the send fails (the server may be
/// down, a cluster may be electing leaders: the publisher exits 3), as ops
/// are told to: a retry with the same id is harmless. Bounded.
fn send_retrying(server_url: &str, id: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = publisher(server_url, &["send", "--timeout", "2s", "--id", id, text]);
        if out.status.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "send {id} kept failing: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends messages `range` in order from a background thread.
fn send_in_background(
    server_url: String,
    range: std::ops::RangeInclusive<usize>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for n in range {
            send_numbered(&server_url, n);
        }
    })
}

/// Reads `count` messages and checks they are exactly `range`, in order.
fn expect_sequence(agent: &mut Agent, range: std::ops::RangeInclusive<usize>) {
    for n in range {
        let text = agent.next_text();
        if text != format!("msg {n:03}") {
            panic!(
                "expected msg {n:03}, got {text:?}: out of order, lost or repeated; agent stderr:\n{}",
                agent.logs().join("\n")
            );
        }
    }
}

/// Proves nothing more arrived: the next message is a fresh marker.
fn expect_nothing_more(server_url: &str, agents: &mut [&mut Agent]) {
    send_retrying(server_url, "marker", "marker");
    for agent in agents {
        assert_eq!(agent.next_text(), "marker", "something was shown twice");
    }
}

/// The server is SIGKILLed and restarted with the same store while 200
/// numbered messages are being sent (failed sends retried): both agents show
/// all 200 exactly once, in order.
#[test]
fn server_restart_mid_sequence_loses_nothing() {
    let mut server = NatsServer::start();
    let url = server.url();
    expect_exit(&publisher(&url, &["setup"]), 0);
    let mut alice = Agent::start(&url, "alice");
    let mut bob = Agent::start(&url, "bob");

    let sender = send_in_background(url.clone(), 1..=200);
    expect_sequence(&mut alice, 1..=100);
    server.kill();
    server.restart();
    sender.join().expect("sender");

    expect_sequence(&mut alice, 101..=200);
    expect_sequence(&mut bob, 1..=200);
    expect_nothing_more(&url, &mut [&mut alice, &mut bob]);
}

/// An agent is SIGKILLed mid-sequence and restarted with its state dir: it
/// shows what was sent while it was down, and every message exactly once.
#[test]
fn killed_agent_restarted_with_its_state_shows_everything_once() {
    let server = NatsServer::start();
    let url = server.url();
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let mut agent = Agent::start_with(&url, "alice", &["--state-dir", dir]);

    for n in 1..=100 {
        send_numbered(&url, n);
    }
    expect_sequence(&mut agent, 1..=100);
    agent.signal(Signal::SIGKILL);
    agent.wait_exit();
    for n in 101..=150 {
        send_numbered(&url, n);
    }
    let mut agent = Agent::start_with(&url, "alice", &["--state-dir", dir]);
    for n in 151..=200 {
        send_numbered(&url, n);
    }
    expect_sequence(&mut agent, 101..=200);
    expect_nothing_more(&url, &mut [&mut agent]);
}

/// The agent's TCP connection is cut (the server stays up) while messages
/// go on: after it reconnects it shows the ones it missed, once, in order.
#[test]
fn cut_connection_is_caught_up_after_reconnecting() {
    let server = NatsServer::start();
    let url = server.url();
    let proxy = Proxy::start(server.port());
    let mut agent = Agent::start(&proxy.url(), "alice");

    for n in 1..=50 {
        send_numbered(&url, n);
    }
    expect_sequence(&mut agent, 1..=50);
    proxy.cut();
    agent.wait_event("disconnected");
    for n in 51..=100 {
        send_numbered(&url, n);
    }
    proxy.resume();
    agent.wait_event_where("subscribed", |r| r["reconnect"] == true);
    for n in 101..=150 {
        send_numbered(&url, n);
    }
    expect_sequence(&mut agent, 51..=150);
    expect_nothing_more(&url, &mut [&mut agent]);
}

/// A 3-node cluster, stream with 3 replicas, agents on one node; that node
/// is killed mid-sequence. The agents move to another node and show all 200
/// messages: 0 lost, 0 duplicated.
#[test]
fn cluster_node_loss_loses_nothing() {
    let mut nodes = NatsServer::start_cluster(3);
    let agents_url = nodes[0].url();
    let ops_url = format!("{},{}", nodes[1].url(), nodes[2].url());
    // The JetStream meta leader needs a moment after the nodes are up.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !publisher(&ops_url, &["setup", "--replicas", "3"])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "stream with 3 replicas never came up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut alice = Agent::start(&agents_url, "alice");
    let mut bob = Agent::start(&agents_url, "bob");

    let sender = send_in_background(ops_url.clone(), 1..=200);
    expect_sequence(&mut alice, 1..=100);
    nodes[0].kill();
    sender.join().expect("sender");

    // Catching up may wait for the cluster to elect new leaders.
    let failover = Duration::from_secs(60);
    expect_sequence(&mut bob, 1..=100);
    for agent in [&mut alice, &mut bob] {
        assert_eq!(agent.next_text_within(failover), "msg 101");
        expect_sequence(agent, 102..=200);
    }
    expect_nothing_more(&ops_url, &mut [&mut alice, &mut bob]);
}

/// A restarted agent without --session-id comes back as the same session,
/// and shows, at start, the broadcast and the personal message it missed.
#[test]
fn restarted_agent_keeps_its_session_id_and_catches_up() {
    let server = NatsServer::start();
    let url = server.url();
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let mut agent = Agent::spawn(&url, &["--state-dir", dir]);
    let listening = agent.wait_event("listening");
    let id = listening["session"]
        .as_str()
        .unwrap_or_else(|| panic!("no session id in {listening}"))
        .to_owned();
    agent.wait_subscribed();
    expect_exit(&publisher(&url, &["send", "before"]), 0);
    assert_eq!(agent.next_text(), "before");
    agent.signal(Signal::SIGTERM);
    assert_eq!(agent.wait_exit().code(), Some(0));

    expect_exit(&publisher(&url, &["send", "while down: everyone"]), 0);
    let out = publisher(&url, &["send", "--session", &id, "while down: you"]);
    let stdout = expect_exit(&out, 4);
    assert!(stdout.contains("not connected (stored"), "{stdout}");

    let mut agent = Agent::spawn(&url, &["--state-dir", dir]);
    let listening = agent.wait_event("listening");
    assert_eq!(listening["session"], id.as_str(), "{listening}");
    assert_eq!(agent.next_text(), "while down: everyone");
    let personal = agent.next_message();
    assert_eq!(
        (personal["text"].as_str(), personal["target"].as_str()),
        (Some("while down: you"), Some("session"))
    );
    expect_nothing_more(&url, &mut [&mut agent]);
}

/// The 9 pm maintenance notice reaches the user who logs in at 9:30: an
/// agent started 2 s after a broadcast with `--ttl 1s` and one with
/// `--ttl 1h` shows only the second (and not an old one without ttl).
#[test]
fn brand_new_agent_shows_only_unexpired_ttl_broadcasts() {
    let server = NatsServer::start();
    let url = server.url();
    expect_exit(&publisher(&url, &["send", "old news, no ttl"]), 0);
    let sent = Instant::now();
    expect_exit(
        &publisher(
            &url,
            &["send", "--ttl", "1s", "expired by the time it logs in"],
        ),
        0,
    );
    expect_exit(
        &publisher(&url, &["send", "--ttl", "1h", "maintenance at 10pm"]),
        0,
    );

    // The user logs in 2 s later: the passing of time is the scenario here.
    std::thread::sleep(Duration::from_secs(2).saturating_sub(sent.elapsed()));
    let mut agent = Agent::start(&url, "latecomer");
    let m = agent.next_message();
    assert_eq!(m["text"], "maintenance at 10pm");
    assert!(m["expires_at"].is_string(), "{m}");
    expect_nothing_more(&url, &mut [&mut agent]);
}

/// A message whose expires_at has passed is never shown, even live.
#[test]
fn expired_message_is_not_shown_live() {
    let server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "alice");
    let mut raw = e2e::RawClient::connect(server.port());
    raw.publish(
        "broadcast",
        br#"{"id":"x1","text":"too late","expires_at":"2020-01-01T00:00:00Z"}"#,
    );
    expect_nothing_more(&server.url(), &mut [&mut agent]);
}

/// Sending twice with the same --id (a retry) shows the message once; the
/// second send says the stream had it already.
#[test]
fn retried_send_with_the_same_id_is_shown_once() {
    let server = NatsServer::start();
    let url = server.url();
    let mut agent = Agent::start(&url, "alice");
    let first = expect_exit(
        &publisher(&url, &["send", "--json", "--id", "retry-1", "only once"]),
        0,
    );
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (first["stored"].as_bool(), first["duplicate"].as_bool()),
        (Some(true), Some(false))
    );
    let again = expect_exit(
        &publisher(&url, &["send", "--json", "--id", "retry-1", "only once"]),
        0,
    );
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["duplicate"].as_bool(), Some(true));
    assert_eq!(agent.next_text(), "only once");
    expect_nothing_more(&url, &mut [&mut agent]);
}

/// The very first send on a server also creates the stream: its look-up
/// goes with the first copy, which is not stored (no stream yet), so the
/// message is published again once the stream exists. A tap sees both
/// copies, with one id; the agent shows the message once; the report says
/// stored. The next send goes out once: the tap's next message after its
/// copy is a raw marker published after the publisher exited.
#[test]
fn first_send_that_creates_the_stream_is_shown_once() {
    let server = NatsServer::start();
    let url = server.url();
    let mut agent = Agent::start(&url, "alice");
    let mut tap = RawClient::connect(server.port());
    tap.subscribe("broadcast");

    let out = publisher(&url, &["send", "--json", "--id", "first-1", "first ever"]);
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["stored"].as_bool(), Some(true), "{report}");
    for copy in 1..=2 {
        let m = tap
            .next_message(Duration::from_secs(5))
            .unwrap_or_else(|| panic!("copy {copy} of the first send not seen"));
        let headers = m.headers.unwrap_or_default();
        assert!(headers.contains("first-1"), "copy {copy}: {headers:?}");
    }
    assert_eq!(agent.next_text(), "first ever");

    expect_exit(&publisher(&url, &["send", "--id", "second-1", "second"]), 0);
    let m = tap
        .next_message(Duration::from_secs(5))
        .expect("second send");
    assert!(m.headers.unwrap_or_default().contains("second-1"));
    RawClient::connect(server.port()).publish("broadcast", b"raw marker");
    let m = tap.next_message(Duration::from_secs(5)).expect("marker");
    assert_eq!(m.payload, b"raw marker", "the second send went out twice");
    assert_eq!(agent.next_text(), "second");
    assert_eq!(
        agent.next_text(),
        "raw marker",
        "the first send was shown twice"
    );
}

/// Without JetStream everything works live; the publisher and the agent
/// each say once that offline sessions will miss messages.
#[test]
fn without_jetstream_messages_are_live_with_one_warning_each() {
    let server = NatsServer::start_without_jetstream();
    let url = server.url();
    let mut agent = Agent::start(&url, "alice");
    agent.wait_event("no_jetstream");

    let out = publisher(&url, &["send", "--json", "live only"]);
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["stored"].as_bool(), Some(false));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("has no JetStream").count(), 1, "{stderr}");
    assert_eq!(agent.next_text(), "live only");

    let stdout = expect_exit(
        &publisher(&url, &["send", "--session", "alice", "personal"]),
        0,
    );
    assert!(stdout.contains("delivered"), "{stdout}");
    assert_eq!(agent.next_text(), "personal");
    assert_eq!(agent.events("no_jetstream").len(), 1, "{:?}", agent.logs());
}

/// A cluster without JetStream never answers its JetStream API (a single
/// server refuses it at once): the publisher on one node and the agent on
/// the other take the silence, from a server that says it has no
/// JetStream, as "no JetStream" rather than as a failure. With a 30 s
/// `--timeout` the send still exits 0 at once, not stored, with the one
/// warning, and the agent, warned once, shows the message live.
#[test]
fn a_cluster_without_jetstream_is_live_only_not_a_time_out() {
    let nodes = NatsServer::start_cluster_without_jetstream(2);
    let mut agent = Agent::start(&nodes[1].url(), "alice");
    agent.wait_event("no_jetstream");
    // Her subscriptions have crossed the route once node 0 lists her.
    let deadline = Instant::now() + e2e::WAIT;
    while !expect_exit(
        &publisher(&nodes[0].url(), &["sessions", "--timeout", "300ms"]),
        0,
    )
    .contains("alice")
    {
        assert!(Instant::now() < deadline, "node 0 never listed alice");
    }

    let out = publisher(
        &nodes[0].url(),
        &["--timeout", "30s", "send", "--json", "across the cluster"],
    );
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["stored"].as_bool(), Some(false));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("has no JetStream").count(), 1, "{stderr}");
    assert_eq!(agent.next_text(), "across the cluster");
    assert_eq!(agent.events("no_jetstream").len(), 1, "{:?}", agent.logs());
}

/// Two agents with different ids share one state dir without trouble; a
/// second agent claiming a running session's id in that dir is refused
/// (exit 2); a corrupt state file is reported and replaced.
#[test]
fn agents_never_share_or_corrupt_state() {
    let server = NatsServer::start();
    let url = server.url();
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    std::fs::write(state.path().join("bob.json"), b"\x00garbage").unwrap();

    let mut alice = Agent::start_with(&url, "alice", &["--state-dir", dir]);
    let mut bob = Agent::spawn(&url, &["--session-id", "bob", "--state-dir", dir]);
    bob.wait_event("state_corrupt");
    bob.wait_subscribed();

    let mut twin = Agent::spawn(&url, &["--session-id", "alice", "--state-dir", dir]);
    twin.wait_event("state_locked");
    assert_eq!(twin.wait_exit().code(), Some(2));

    expect_exit(&publisher(&url, &["send", "both"]), 0);
    assert_eq!(alice.next_text(), "both");
    assert_eq!(bob.next_text(), "both");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.path().join("bob.json")).unwrap()).unwrap();
    assert_eq!(saved["session_id"], "bob");
}
