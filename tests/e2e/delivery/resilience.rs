//! The agent's life on a real network: it starts before the server, survives
//! a server crash, and stops cleanly on a signal.

use e2e::server::free_port;
use e2e::{expect_exit, publisher, Agent, NatsServer};
use nix::sys::signal::Signal;

/// Agents start at login, before the network: one dialling a port where no
/// server runs yet keeps trying, and shows messages once the server is up.
#[test]
fn agent_started_before_its_server_shows_messages_once_it_is_up() {
    let port = free_port();
    let url = format!("nats://127.0.0.1:{port}");
    let mut agent = Agent::spawn(&url, &["--session-id", "early"]);
    let listening = agent.wait_event("listening");
    assert_eq!(listening["session"], "early", "{listening}");
    agent.wait_event("unreachable");
    assert!(agent.is_running());

    let server = NatsServer::start_on(port, None);
    agent.wait_subscribed();
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "early", "finally"]),
        0,
    );
    assert_eq!(agent.next_text(), "finally");
}

/// The server crashes (SIGKILL) and comes back on the same port: the agent
/// logs the outage, reconnects with its subscriptions, and shows what is sent
/// afterwards, broadcast and personal.
#[test]
fn agent_shows_messages_after_the_server_restarts() {
    let mut server = NatsServer::start();
    let mut agent = Agent::start(&server.url(), "alice");

    server.kill();
    agent.wait_event("disconnected");
    server.restart();
    let subscribed = agent.wait_subscribed();
    assert_eq!(subscribed["reconnect"], true, "{subscribed}");

    expect_exit(&publisher(&server.url(), &["send", "after restart"]), 0);
    assert_eq!(agent.next_text(), "after restart");
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "alice", "personal"]),
        0,
    );
    assert_eq!(agent.next_text(), "personal");
}

/// SIGTERM (service stop) and SIGINT (Ctrl-C) drain the connection and exit 0.
#[test]
fn signals_drain_and_exit_zero() {
    let server = NatsServer::start();
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let mut agent = Agent::start(&server.url(), "alice");
        agent.signal(signal);
        agent.wait_event("stopped");
        assert_eq!(agent.wait_exit().code(), Some(0), "after {signal}");
    }
}

/// The default text log is for people: the agent's state changes read as
/// docs/agent.md lists them, one plain line each, with no JSON and none of the
/// structured fields (`event`, `reconnect`, …) that `--log-format json`
/// adds for programs.
#[test]
fn the_text_log_reads_as_documented() {
    let server = NatsServer::start();
    let mut agent = Agent::spawn(
        &server.url(),
        &["--session-id", "alice", "--log-format", "text"],
    );
    // Stored, so it is shown live or caught up: either way after the
    // agent subscribed.
    expect_exit(
        &publisher(
            &server.url(),
            &["send", "--session", "alice", "--no-wait", "hello"],
        ),
        0,
    );
    assert_eq!(agent.next_text(), "hello");
    agent.signal(Signal::SIGTERM);
    assert_eq!(agent.wait_exit().code(), Some(0));

    let logs = agent.logs();
    let said = |words: &str| logs.iter().any(|line| line.contains(words));
    for words in [
        "listening as session alice (user ",
        &format!(
            "connected to NATS at {}; subscribed to broadcast and session.alice",
            server.url()
        ),
        "SIGTERM: draining and stopping",
        " INFO stopped",
    ] {
        assert!(said(words), "no line with {words:?}: {logs:#?}");
    }
    for line in &logs {
        assert!(
            !line.trim_start().starts_with('{') && !line.contains("event") && !line.contains('='),
            "not a plain line for people: {line}"
        );
    }
}
