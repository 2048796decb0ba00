//! Security: only ops can put words on a user's screen and nobody reads
//! another session's messages. Here: broker roles, signed and sealed
//! messages, TLS, and no secret in any output. Beside them:
//!
//! - [`identity`]: per-session identity, enforced by the broker against a
//!   raw client holding one agent's creds;
//! - [`creds_refused`]: refused creds name their cause;
//! - [`trust`]: the publisher trusts only what the broker authenticated;
//! - [`secrets`]: passwords never logged and warned about when exposed;
//!   the agent's state private;
//! - [`hostile`]: a flood of junk and a blocked display; memory bounded;
//! - [`bounds`]: sends to many targets bounded; a harvested signed message
//!   replayed late is not shown.

mod bounds;
mod creds_refused;
mod hostile;
pub(crate) mod identity;
mod secrets;
mod trust;

use e2e::exit::{CANNOT_SEAL, SERVER};
use e2e::raw::RawClient;
use e2e::server::{free_port, AGENT_PASSWORD, OPS_PASSWORD};
use e2e::tls::TestPki;
use e2e::{expect_exit, publisher, publisher_with_stdin, Agent, NatsServer, WAIT};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use subscriber::admission::WARNINGS_PER_MINUTE;

/// With agent credentials, publishing to `broadcast` or to another session
/// is refused by the broker (the permission error is seen), and no agent
/// shows the forged message.
#[test]
fn agent_credentials_cannot_put_words_on_screens() {
    let server = NatsServer::start_with_roles();
    let agent_url = server.url_as("agent", AGENT_PASSWORD);
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    expect_exit(&publisher(&ops_url, &["setup"]), 0);
    let mut bob = Agent::start(&agent_url, "bob");

    let out = publisher(&agent_url, &["send", "--no-wait", "forged for everyone"]);
    expect_exit(&out, SERVER);
    // Refused at its first step: the agent role may not even look up the
    // stream (agents never call STREAM.INFO), let alone publish.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Permissions Violation for Publish to"),
        "{stderr}"
    );

    let mut raw = RawClient::connect_as(server.port(), "agent", AGENT_PASSWORD);
    let refused = raw
        .try_publish("broadcast", b"forged for everyone")
        .unwrap_err();
    assert!(
        refused.contains("Permissions Violation for Publish to \"broadcast\""),
        "{refused}"
    );
    let refused = raw
        .try_publish("session.bob", b"forged for bob")
        .unwrap_err();
    assert!(
        refused.contains("Permissions Violation for Publish to \"session.bob\""),
        "{refused}"
    );

    expect_exit(&publisher(&ops_url, &["send", "--no-wait", "marker"]), 0);
    assert_eq!(
        bob.next_text(),
        "marker",
        "an agent showed a forged message"
    );
}

/// With the two roles, every normal flow works: stored sends, session
/// receipts, the session list, and catch-up after an agent restart.
#[test]
fn every_flow_works_with_the_two_roles() {
    let server = NatsServer::start_with_roles();
    let agent_url = server.url_as("agent", AGENT_PASSWORD);
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    expect_exit(&publisher(&ops_url, &["setup"]), 0);
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().to_str().unwrap();
    let mut alice = Agent::start_with(
        &agent_url,
        "alice",
        &["--state-dir", dir, "--user-name", "vanessa"],
    );

    let report = expect_exit(
        &publisher(&ops_url, &["send", "--json", "--session", "alice", "hello"]),
        0,
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        (report["stored"].as_bool(), report["delivered"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(alice.next_text(), "hello");

    let listed = expect_exit(&publisher(&ops_url, &["sessions", "--json"]), 0);
    assert!(
        listed.contains("\"id\":\"alice\"") && listed.contains("\"user\":\"vanessa\""),
        "{listed}"
    );
    let stdout = expect_exit(
        &publisher(
            &ops_url,
            &["send", "--wait", "--user", "vanessa", "to vanessa"],
        ),
        0,
    );
    assert!(stdout.contains("delivered to 1 of 1 session\n"), "{stdout}");
    assert_eq!(alice.next_text(), "to vanessa");

    alice.signal(nix::sys::signal::Signal::SIGTERM);
    alice.wait_exit();
    expect_exit(&publisher(&ops_url, &["send", "while you were away"]), 0);
    let mut alice = Agent::start_with(&agent_url, "alice", &["--state-dir", dir]);
    assert_eq!(alice.next_text(), "while you were away");
    // No permissions violation, nor any other error from the server.
    let errors = alice.events("server_error");
    assert!(errors.is_empty(), "{errors:?}");
}

/// `keygen` writes a 0600 seed and prints only the public key; an agent
/// with `--trust` shows signed messages and never unsigned, foreign-signed,
/// tampered or replayed ones (one warning each).
#[test]
fn trusting_agents_show_only_messages_signed_by_ops() {
    use std::os::unix::fs::PermissionsExt;
    let server = NatsServer::start();
    let url = server.url();
    let keys = tempfile::tempdir().unwrap();
    let ops_key = keys.path().join("ops.nk");
    let other_key = keys.path().join("other.nk");
    let public = expect_exit(
        &publisher(&url, &["keygen", "--out", ops_key.to_str().unwrap()]),
        0,
    );
    let public = public.trim().to_owned();
    assert!(
        remote_message::UserKey::parse(&public).is_some(),
        "{public}"
    );
    let seed = std::fs::read_to_string(&ops_key).unwrap();
    assert!(seed.starts_with("SU") && !public.contains(seed.trim()));
    assert_eq!(
        std::fs::metadata(&ops_key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    expect_exit(
        &publisher(&url, &["keygen", "--out", other_key.to_str().unwrap()]),
        0,
    );
    expect_exit(
        &publisher(&url, &["keygen", "--out", ops_key.to_str().unwrap()]),
        2,
    );

    let mut bob = Agent::start_with(&url, "bob", &["--trust", &public]);
    let mut tap = RawClient::connect(server.port());
    tap.subscribe("session.bob");
    let signed = |rest: &[&str]| {
        let mut args = vec!["send", "--sign-key", ops_key.to_str().unwrap()];
        args.extend_from_slice(rest);
        publisher(&url, &args)
    };

    expect_exit(
        &signed(&["--session", "bob", "--no-wait", "signed for bob"]),
        0,
    );
    assert_eq!(bob.next_text(), "signed for bob");
    let signed_payload = tap
        .next_message(Duration::from_secs(5))
        .expect("tapped")
        .payload;

    expect_exit(&publisher(&url, &["send", "unsigned"]), 0);
    bob.wait_refused("unsigned");
    let other = [
        "send",
        "--sign-key",
        other_key.to_str().unwrap(),
        "signed by someone else",
    ];
    expect_exit(&publisher(&url, &other), 0);
    bob.wait_refused("unknown_signer");

    let mut raw = RawClient::connect(server.port());
    let tampered = String::from_utf8(signed_payload.clone())
        .unwrap()
        .replace("signed for bob", "send me your password");
    raw.publish("session.bob", tampered.as_bytes());
    bob.wait_refused("bad_signature");
    raw.publish("broadcast", &signed_payload);
    bob.wait_refused("bad_signature");

    expect_exit(&signed(&["signed marker"]), 0);
    assert_eq!(
        bob.next_text(),
        "signed marker",
        "an untrusted message was shown"
    );
}

/// JetStream answers a pull request on whatever reply subject it names, and
/// the stored message keeps its own subject: so a client with no role at
/// all (a server without auth) has alice's stored, validly signed message
/// delivered onto bob's `session.bob`, then onto `broadcast` (a tap on both
/// sees it arrive with subject `session.alice`). Bob's agent, trusting the
/// key that signed it, refuses it both times (`foreign_subject`) and shows
/// nothing. The pull requests' status answers (`404` with `no_wait`, `408`
/// once `expires` passes), 40 of them on `session.bob`, are refused as
/// `status_message`, within the rate limit of the log. Bob still runs,
/// and the next message for him is the first thing he shows.
#[test]
fn messages_steered_onto_an_agent_by_a_pull_request_are_refused() {
    const STATUS_FLOOD: usize = 40;
    let server = NatsServer::start();
    let url = server.url();
    let keys = tempfile::tempdir().unwrap();
    let ops_key = keys.path().join("ops.nk");
    let ops_key = ops_key.to_str().unwrap();
    let public = expect_exit(&publisher(&url, &["keygen", "--out", ops_key]), 0);
    let mut bob = Agent::start_with(&url, "bob", &["--trust", public.trim()]);
    let signed = |rest: &[&str]| {
        let mut args = vec!["send", "--sign-key", ops_key];
        args.extend_from_slice(rest);
        publisher(&url, &args)
    };
    // Alice is not running: her message waits in the stream.
    expect_exit(
        &signed(&["--session", "alice", "--no-wait", "for alice only"]),
        0,
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let thief = tokio::time::timeout(WAIT, async_nats::connect(&url))
            .await
            .expect("connected in time")
            .expect("connect");
        let mut tap = thief.subscribe("session.bob").await.unwrap();
        let mut broadcast_tap = thief.subscribe("broadcast").await.unwrap();
        let js = async_nats::jetstream::new(thief.clone());
        for (consumer, reply, tapped) in [
            ("steer-to-bob", "session.bob", &mut tap),
            ("steer-to-all", "broadcast", &mut broadcast_tap),
        ] {
            let config = async_nats::jetstream::consumer::pull::Config {
                name: Some(consumer.to_owned()),
                filter_subject: "session.alice".to_owned(),
                ack_policy: async_nats::jetstream::consumer::AckPolicy::None,
                ..Default::default()
            };
            js.create_consumer_on_stream(config, "REMOTE_MESSAGES")
                .await
                .expect("a consumer on alice's subject");
            pull(&thief, consumer, reply, r#"{"batch":1}"#).await;
            let steered = next_within(tapped, reply).await;
            assert_eq!(steered.subject.as_str(), "session.alice");
            let payload = String::from_utf8_lossy(&steered.payload);
            assert!(payload.contains("for alice only"), "{payload}");
            bob.wait_refused("foreign_subject");
        }
        // The consumers have nothing left: every request is answered with
        // a status message, on bob's subject.
        for i in 0..STATUS_FLOOD {
            let request = if i % 2 == 0 {
                r#"{"batch":1,"no_wait":true}"#
            } else {
                r#"{"batch":1,"expires":1000000}"#
            };
            pull(&thief, "steer-to-bob", "session.bob", request).await;
        }
        for _ in 0..STATUS_FLOOD {
            let status = next_within(&mut tap, "session.bob").await;
            assert!(status.status.is_some(), "{status:?}");
        }
    });
    // Every status message reached bob's connection before this message.
    expect_exit(&signed(&["--session", "bob", "--no-wait", "for bob"]), 0);
    assert_eq!(bob.next_text(), "for bob", "a steered message was shown");
    assert!(bob.is_running());
    let refusals = bob.events("message_refused");
    let reasons: Vec<&str> = refusals
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    let (steered, statuses) = reasons.split_at(2.min(reasons.len()));
    assert_eq!(steered, ["foreign_subject", "foreign_subject"]);
    assert!(
        !statuses.is_empty() && statuses.iter().all(|r| *r == "status_message"),
        "{reasons:?}"
    );
    assert!(
        reasons.len() <= WARNINGS_PER_MINUTE as usize,
        "{} refusals logged for {STATUS_FLOOD} status messages: the log is not rate-limited",
        reasons.len()
    );
}

/// Publishes a JetStream pull request for `consumer` of the stream, whose
/// answers go to `reply`.
async fn pull(client: &async_nats::Client, consumer: &str, reply: &str, request: &str) {
    client
        .publish_with_reply(
            format!("$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{consumer}"),
            reply.to_owned(),
            request.to_owned().into(),
        )
        .await
        .expect("pull request sent");
}

/// The next message of `subscription`, waiting at most [`WAIT`].
pub(crate) async fn next_within(
    subscription: &mut async_nats::Subscriber,
    what: &str,
) -> async_nats::Message {
    use futures::StreamExt;
    tokio::time::timeout(WAIT, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("nothing on {what} within {WAIT:?}"))
        .expect("subscription open")
}

/// A sealed session message: a tap on `session.*` sees only ciphertext, the
/// agent shows the clear text. Sealing to a session that is not live, or to
/// an agent that advertises no key, is refused (exit 6) and nothing is sent.
#[test]
fn sealed_messages_are_readable_by_their_agent_only() {
    let server = NatsServer::start();
    let url = server.url();
    // The stream exists, so each send goes out once: the very first send,
    // which creates it, goes out twice (delivery::reliability).
    expect_exit(&publisher(&url, &["setup"]), 0);
    let mut bob = Agent::start(&url, "bob");
    let mut tap = RawClient::connect(server.port());
    tap.subscribe_all(&["session.*", "broadcast"]);

    let out = publisher(
        &url,
        &[
            "send",
            "--session",
            "bob",
            "--seal",
            "the launch code is 4711",
        ],
    );
    let stdout = expect_exit(&out, 0);
    assert!(stdout.contains("to session.bob: delivered"), "{stdout}");
    assert_eq!(bob.next_text(), "the launch code is 4711");
    let captured = tap.next_message(Duration::from_secs(5)).expect("tapped");
    let captured = String::from_utf8(captured.payload).unwrap();
    assert!(
        captured.contains("\"sealed\":") && !captured.contains("4711"),
        "{captured}"
    );
    println!("captured sealed payload on session.bob: {captured}");

    expect_exit(
        &publisher(&url, &["send", "--session", "ghost", "--seal", "x"]),
        CANNOT_SEAL,
    );
    expect_exit(&publisher(&url, &["send", "--seal", "everyone"]), 2);

    // A foreign agent in the session list without a key.
    let stop = Arc::new(AtomicBool::new(false));
    let keyless = answer_session_list_without_key(server.port(), "old-agent", stop.clone());
    let out = publisher(&url, &["send", "--session", "old-agent", "--seal", "x"]);
    expect_exit(&out, CANNOT_SEAL);
    assert!(String::from_utf8_lossy(&out.stderr).contains("advertises no key"));
    stop.store(true, Ordering::SeqCst);
    keyless.join().unwrap();

    expect_exit(&publisher(&url, &["send", "--no-wait", "marker"]), 0);
    let next = tap.next_message(Duration::from_secs(5)).expect("marker");
    assert_eq!(next.subject, "broadcast", "something was sent: {next:?}");
}

/// Plays an agent from before sealing: it answers the session list, with no key.
fn answer_session_list_without_key(
    port: u16,
    id: &str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let mut raw = RawClient::connect(port);
    raw.subscribe("sessions.ping");
    let answer = serde_json::json!({
        "host": "old", "os": "old", "version": "0.0.1", "since": "2026-01-01T00:00:00Z",
    })
    .to_string();
    let id = id.to_owned();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            if let Some(request) = raw.next_message(Duration::from_millis(50)) {
                if let Some(reply) = request.reply {
                    // User "old", hex-encoded in the subject.
                    raw.publish(&format!("{reply}.{id}.6f6c64"), answer.as_bytes());
                }
            }
        }
    })
}

/// A server that requires TLS: both binaries connect with `--tls-ca`.
#[test]
fn tls_with_a_private_ca() {
    let pki = TestPki::new();
    let server = NatsServer::start_with_config_file(pki.server_config(false));
    let url = server.tls_url();
    let ca = pki.path("ca.pem");
    let ca = ca.to_str().unwrap();
    let mut agent = Agent::start_with(&url, "alice", &["--tls-ca", ca]);
    expect_exit(&publisher(&url, &["send", "--tls-ca", ca, "over TLS"]), 0);
    assert_eq!(agent.next_text(), "over TLS");
}

/// A server that requires client certificates: both binaries connect with
/// `--tls-cert`/`--tls-key`; without them the server refuses.
#[test]
fn tls_with_client_certificates() {
    let pki = TestPki::new();
    let server = NatsServer::start_with_config_file(pki.server_config(true));
    let url = server.tls_url();
    let files = pki.client_files();
    let [ca, cert, key] = files.each_ref().map(String::as_str);
    let tls = ["--tls-ca", ca, "--tls-cert", cert, "--tls-key", key];
    let mut agent = Agent::start_with(&url, "alice", &tls);
    let args = [&tls[..], &["send", "mutual TLS"]].concat();
    expect_exit(&publisher(&url, &args), 0);
    assert_eq!(agent.next_text(), "mutual TLS");

    let out = publisher(&url, &["send", "--tls-ca", ca, "no client cert"]);
    expect_exit(&out, SERVER);
}

/// The wrong CA fails with a clear error that names the certificate problem.
#[test]
fn tls_with_the_wrong_ca_names_the_certificate_problem() {
    let pki = TestPki::new();
    let server = NatsServer::start_with_config_file(pki.server_config(false));
    let url = server.tls_url();
    let out = publisher(
        &url,
        &[
            "send",
            "--tls-ca",
            pki.path("other-ca.pem").to_str().unwrap(),
            "x",
        ],
    );
    expect_exit(&out, SERVER);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TLS with NATS at"), "{stderr}");
    assert!(
        stderr.contains("UnknownIssuer") || stderr.contains("certificate"),
        "{stderr}"
    );

    let mut agent = Agent::spawn(
        &url,
        &[
            "--session-id",
            "a",
            "--tls-ca",
            pki.path("other-ca.pem").to_str().unwrap(),
        ],
    );
    let unreachable = agent.wait_event("unreachable");
    // The diagnosis is the TLS advice, with the cause, and the agent goes on.
    let line = unreachable["message"].as_str().unwrap_or_default();
    assert!(
        line.contains("TLS with NATS at")
            && line.contains("UnknownIssuer")
            && line.contains("retrying"),
        "{unreachable}"
    );
}

/// Passwords, tokens and seeds never appear in logs, errors, `--json`
/// output or session info: tried with a password in the URL and a down
/// server, a token, and a signing key.
#[test]
fn no_secret_leaks() {
    let secret = "Sup3rS3cret-XYZ";
    let down = format!("nats://ops:{secret}@127.0.0.1:{}", free_port());
    let out = publisher(&down, &["send", "--json", "x"]);
    expect_exit(&out, SERVER);
    let out_token = publisher(
        &format!("nats://127.0.0.1:{}", free_port()),
        &["send", "--token", secret, "x"],
    );
    expect_exit(&out_token, SERVER);
    for out in [&out, &out_token] {
        let all = [&out.stdout[..], &out.stderr[..]].concat();
        assert!(
            !String::from_utf8_lossy(&all).contains(secret),
            "{}",
            String::from_utf8_lossy(&all)
        );
    }

    let mut agent = Agent::spawn(&down, &["--session-id", "alice"]);
    agent.wait_event("unreachable");
    assert!(
        !agent.logs().join("\n").contains(secret),
        "{:?}",
        agent.logs()
    );

    let server = NatsServer::start_with_roles();
    let agent_url = server.url_as("agent", AGENT_PASSWORD);
    let ops_url = server.url_as("ops", OPS_PASSWORD);
    let _alice = Agent::start(&agent_url, "alice");
    let listed = expect_exit(&publisher(&ops_url, &["sessions", "--json"]), 0);
    assert!(
        !listed.contains(AGENT_PASSWORD) && !listed.contains(OPS_PASSWORD),
        "{listed}"
    );
    let report = expect_exit(
        &publisher(&ops_url, &["send", "--json", "--session", "alice", "x"]),
        0,
    );
    assert!(!report.contains(OPS_PASSWORD), "{report}");

    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("k");
    let public = expect_exit(
        &publisher(&ops_url, &["keygen", "--out", key.to_str().unwrap()]),
        0,
    );
    let seed = std::fs::read_to_string(&key).unwrap();
    assert!(!public.contains(seed.trim()));
    let signed = publisher_with_stdin(
        &ops_url,
        &["send", "--json", "--sign-key", key.to_str().unwrap(), "-"],
        Some(b"hi"),
    );
    let signed = expect_exit(&signed, 0);
    assert!(!signed.contains(seed.trim()), "{signed}");
}

/// An X.509 version 1 client certificate (what `openssl x509 -req` gives
/// without `-extfile`) is refused before any connection, by the publisher
/// (exit 2, not the exit 3 of the server it would have tried) and by the
/// agent (it stops instead of retrying for ever), both naming the cause
/// and how to make a version 3 one.
#[test]
fn a_version_1_client_certificate_is_named_before_connecting() {
    let pki = TestPki::new();
    let v1 = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("remote-message-cli/testdata/v1-cert.pem");
    let key = pki.path("client-key.pem");
    let tls = [
        "--tls-cert",
        v1.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    // Nothing listens there: a connection attempt would fail with exit 3.
    let url = format!("tls://127.0.0.1:{}", free_port());
    let out = publisher(&url, &[&tls[..], &["send", "x"]].concat());
    expect_exit(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the certificate (CN=remote-message test v1 client) is X.509 version 1")
            && stderr.contains("-extfile"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot reach NATS"), "{stderr}");

    let mut agent = Agent::spawn(&url, &[&["--session-id", "a"][..], &tls].concat());
    assert_eq!(agent.wait_exit().code(), Some(2));
    let logs = agent.logs().join("\n");
    assert!(logs.contains("is X.509 version 1"), "{logs}");
}
