//! A branch office behind a leafnode with its own JetStream domain: the
//! agent runs on the leaf server, ops publish on the leaf or on the hub (the
//! hub with `--js-domain <leaf domain>`). Shared-account mode (no per-session
//! identity): the test servers have no authentication.

use e2e::{expect_exit, publisher, Agent, NatsServer};
use serde_json::Value;
use std::time::{Duration, Instant};

const LEAF_DOMAIN: &str = "branch";

/// Waits, bounded, until `publisher sessions` run against `url` lists
/// `session`: the agent's subscriptions have crossed the leafnode.
fn wait_listed(url: &str, session: &str) {
    let deadline = Instant::now() + e2e::WAIT;
    loop {
        let out = publisher(url, &["sessions", "--json", "--timeout", "500ms"]);
        let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let ids: Vec<&str> = listed
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["id"].as_str()).collect())
            .unwrap_or_default();
        if ids.contains(&session) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{session} never listed through {url}: {listed}"
        );
    }
}

/// Ops on the leaf itself: the leaf's JetStream is the local one, so a
/// stored send to the session and its receipt need no domain.
#[test]
fn publisher_on_the_leaf_sends_stored_with_receipts() {
    let (_hub, leaf) = NatsServer::start_hub_and_leaf("hq", LEAF_DOMAIN);
    let mut agent = Agent::start(&leaf.url(), "branch-1");
    let out = publisher(
        &leaf.url(),
        &["send", "--session", "branch-1", "--json", "hi"],
    );
    let report: Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["stored"], true, "{report}");
    assert_eq!(report["delivered"], 1, "{report}");
    assert_eq!(agent.next_text(), "hi");
}

/// Ops on the hub with `--js-domain branch`: the stream is created and
/// stored in the leaf's domain; a session send is delivered with its
/// receipt; the session list crosses the leafnode; an agent stopped and
/// started again on the leaf catches up with what was sent meanwhile, once.
#[test]
fn publisher_on_the_hub_with_the_leaf_domain_stores_and_the_agent_catches_up() {
    let (hub, leaf) = NatsServer::start_hub_and_leaf("hq", LEAF_DOMAIN);
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let args = ["--session-id", "branch-1", "--state-dir", dir];
    let mut agent = Agent::spawn(&leaf.url(), &args);
    agent.wait_subscribed();
    wait_listed(&hub.url(), "branch-1");

    let domain = ["--js-domain", LEAF_DOMAIN];
    let send = |extra: &[&str]| {
        let mut all = vec!["send"];
        all.extend_from_slice(&domain);
        all.extend_from_slice(extra);
        publisher(&hub.url(), &all)
    };
    let out = send(&["--session", "branch-1", "--json", "from hq"]);
    let report: Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(
        (report["stored"].as_bool(), report["delivered"].as_u64()),
        (Some(true), Some(1)),
        "{report}"
    );
    assert_eq!(agent.next_text(), "from hq");

    agent.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(agent.wait_exit().code(), Some(0));
    expect_exit(&send(&["while down: everyone"]), 0);
    let stdout = expect_exit(&send(&["--session", "branch-1", "while down: you"]), 4);
    assert!(stdout.contains("not connected (stored"), "{stdout}");

    let mut agent = Agent::spawn(&leaf.url(), &args);
    assert_eq!(agent.next_text(), "while down: everyone");
    assert_eq!(agent.next_text(), "while down: you");
    // Nothing more: the next message is one sent now, not a replay.
    agent.wait_subscribed();
    expect_exit(&send(&["--session", "branch-1", "last"]), 0);
    assert_eq!(agent.next_text(), "last");
}

/// Without `--js-domain`, ops on the hub use the hub's own JetStream: the
/// message is stored in the hub's domain, not the leaf's, so an agent
/// that was offline does not catch up with it (why the docs say to give
/// the domain). Live delivery still crosses the leafnode.
#[test]
fn publisher_on_the_hub_without_the_domain_stores_on_the_hub_only() {
    let (hub, leaf) = NatsServer::start_hub_and_leaf("hq", LEAF_DOMAIN);
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let args = ["--session-id", "branch-2", "--state-dir", dir];
    let mut agent = Agent::spawn(&leaf.url(), &args);
    agent.wait_subscribed();
    wait_listed(&hub.url(), "branch-2");
    expect_exit(
        &publisher(&hub.url(), &["send", "--session", "branch-2", "live"]),
        0,
    );
    assert_eq!(agent.next_text(), "live");
    agent.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(agent.wait_exit().code(), Some(0));
    let out = publisher(&hub.url(), &["send", "--session", "branch-2", "missed"]);
    expect_exit(&out, 4);

    let mut agent = Agent::spawn(&leaf.url(), &args);
    agent.wait_subscribed();
    expect_exit(
        &publisher(&leaf.url(), &["send", "--session", "branch-2", "after"]),
        0,
    );
    assert_eq!(
        agent.next_text_within(Duration::from_secs(10)),
        "after",
        "the hub-stored message must not be replayed on the leaf"
    );
}
