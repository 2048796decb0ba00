//! Sends to many targets are bounded: publishes and stream acknowledgements
//! are pipelined within async-nats' in-flight limit, presence requests too,
//! and the whole store phase ends within `--timeout` with a report of what
//! was and was not stored (issue 12, attack 7). And signed messages are
//! bounded in time: a harvested one replayed after `--catch-up-window` is
//! not shown (attack 6).

use e2e::exit::{NOT_CONFIRMED, SERVER};
use e2e::{expect_exit, publisher, Agent, NatsServer, RawClient};
use serde_json::Value;
use std::time::{Duration, Instant};

/// More targets than async-nats allows acknowledgements in flight (5,000).
const TARGETS: usize = 5_001;

/// `send` arguments naming [`TARGETS`] sessions `s1` … `s5001`.
fn many_sessions(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["send".into(), "--json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    for i in 1..=TARGETS {
        args.push("--session".into());
        args.push(format!("s{i}"));
    }
    args.push("hello, many".into());
    args
}

fn run(server: &NatsServer, args: &[String]) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // `publisher` kills and fails the test past 30 s: the bounded wait.
    let out = publisher(&server.url(), &args);
    (out, started.elapsed())
}

/// 5,001 sessions, none connected, with JetStream: every message is
/// stored (the stream holds 5,001), every session is reported not
/// connected through bounded presence requests, exit 4, well within 30 s.
#[test]
fn a_send_to_5001_sessions_is_stored_and_reported_in_bounded_time() {
    let server = NatsServer::start();
    let (out, took) = run(&server, &many_sessions(&["--wait=20s"]));
    let report: Value = serde_json::from_str(&expect_exit(&out, NOT_CONFIRMED)).unwrap();
    assert_eq!(report["stored"], true);
    assert_eq!(report["expected"], TARGETS);
    assert_eq!(report["messages"].as_array().unwrap().len(), TARGETS);
    assert_eq!(report["not_connected"].as_array().unwrap().len(), TARGETS);
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let mut raw = RawClient::connect(server.port());
    let info = raw.request("$JS.API.STREAM.INFO.REMOTE_MESSAGES", b"");
    let info: Value = serde_json::from_slice(&info.payload).unwrap();
    assert_eq!(info["state"]["messages"], TARGETS, "{info}");
}

/// The same send without JetStream and without waiting: 5,001 live
/// publishes, reported not stored, exit 0.
#[test]
fn a_send_to_5001_sessions_without_jetstream_finishes() {
    let server = NatsServer::start_without_jetstream();
    let (out, took) = run(&server, &many_sessions(&["--no-wait"]));
    let report: Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["stored"], false);
    assert_eq!(report["messages"].as_array().unwrap().len(), TARGETS);
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// A stream that never acknowledges (it does not hold `session.*`, and a
/// silent client swallows the publishes, so no "no responders" either):
/// the send fails at `--timeout` as a server error, saying how many
/// messages were stored (none) and naming those that were not.
#[test]
fn acknowledgements_that_never_come_end_at_the_deadline_with_what_was_not_stored() {
    let server = NatsServer::start();
    let mut raw = RawClient::connect(server.port());
    let config = br#"{"name":"REMOTE_MESSAGES","subjects":["broadcast"],"storage":"memory"}"#;
    let created = raw.request("$JS.API.STREAM.CREATE.REMOTE_MESSAGES", config);
    assert!(
        !String::from_utf8_lossy(&created.payload).contains("\"error\""),
        "{}",
        String::from_utf8_lossy(&created.payload)
    );
    raw.subscribe("session.>");
    raw.publish("test.settled", b""); // a round trip: the subscription is in place
    let args: Vec<String> = [
        "send",
        "--no-wait",
        "--timeout",
        "2s",
        "--session",
        "a",
        "--session",
        "b",
        "hi",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (out, took) = run(&server, &args);
    expect_exit(&out, SERVER);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "the send did not finish within 2s (--timeout): the stream confirmed storing 0 of 2 \
             messages; not confirmed: session.a, session.b;"
        ),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// A server without JetStream and an ops signing key made by `publisher
/// keygen`: ops send signed messages to carol, or forge one with any date.
struct SignedToCarol {
    server: NatsServer,
    _keys: tempfile::TempDir,
    key: std::path::PathBuf,
    /// The key's public half, for carol's `--trust`.
    public: String,
}

impl SignedToCarol {
    fn start() -> SignedToCarol {
        let server = NatsServer::start_without_jetstream();
        let keys = tempfile::tempdir().unwrap();
        let key = keys.path().join("ops.nk");
        let out = publisher(&server.url(), &["keygen", "--out", key.to_str().unwrap()]);
        let public = expect_exit(&out, 0).trim().to_owned();
        SignedToCarol {
            server,
            _keys: keys,
            key,
            public,
        }
    }

    /// Carol's agent, trusting the ops key, with `extra` options.
    fn carol(&self, extra: &[&str]) -> Agent {
        let mut args = vec!["--trust", self.public.as_str()];
        args.extend_from_slice(extra);
        Agent::start_with(&self.server.url(), "carol", &args)
    }

    /// `publisher send --sign-key` of `text` to carol, now.
    fn send(&self, text: &str) {
        let key = self.key.to_str().unwrap();
        let args = [
            "send",
            "--no-wait",
            "--sign-key",
            key,
            "--session",
            "carol",
            text,
        ];
        expect_exit(&publisher(&self.server.url(), &args), 0);
    }

    /// A message `id` signed by the ops key as sent at `sent_at`, published
    /// raw on `session.carol`.
    fn forge(&self, id: &str, sent_at: &str) {
        let ops_key = remote_message::signing::load_key(&self.key).unwrap();
        let mut forged =
            remote_message::Envelope::with_id(id.into(), id.into(), None, None).unwrap();
        forged.sent_at = sent_at.parse().unwrap();
        forged.sign(&ops_key, "session.carol");
        let mut raw = RawClient::connect(self.server.port());
        raw.publish("session.carol", &forged.to_payload());
    }
}

/// A signed message for carol, harvested long ago (signed by the ops key,
/// `sent_at` a year back), is published again on `session.carol`: her
/// agent, trusting the key, refuses it as `signed_too_old` (older than her
/// `--catch-up-window` of 10 min) and shows the next fresh signed message
/// instead. The old message is made with the ops key rather than waited for,
/// so no test clock has to pass the window.
#[test]
fn a_harvested_signed_message_replayed_after_the_window_is_not_shown() {
    let ops = SignedToCarol::start();
    let mut carol = ops.carol(&["--catch-up-window", "10m"]);
    ops.send("fresh");
    assert_eq!(carol.next_text(), "fresh");

    ops.forge("harvested", "2025-11-30T20:00:00Z");
    let refused = carol.wait_refused("signed_too_old");
    assert!(
        refused.to_string().contains("--catch-up-window"),
        "{refused}"
    );
    ops.send("after the replay");
    assert_eq!(carol.next_text(), "after the replay");
}

/// A signed message dated 2099 (signed by the trusted ops key, so it would
/// otherwise stay "fresh" for 73 years) is refused as
/// `signed_from_the_future` and never shown; the next fresh signed message
/// is.
#[test]
fn a_signed_message_from_the_future_is_not_shown() {
    let ops = SignedToCarol::start();
    let mut carol = ops.carol(&[]);
    ops.forge("future", "2099-01-01T00:00:00Z");
    let refused = carol.wait_refused("signed_from_the_future");
    assert!(refused.to_string().contains("2099"), "{refused}");
    ops.send("now");
    assert_eq!(carol.next_text(), "now");
}
