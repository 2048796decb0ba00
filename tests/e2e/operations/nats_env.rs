//! The `nats` CLI's spellings work here too: its TLS flags (`--tlsca`,
//! `--tlscert`, `--tlskey`) as aliases of ours, and its environment
//! variables (`NATS_CA`, `NATS_CERT`, `NATS_KEY`, `NATS_TIMEOUT`) read the
//! way it reads them; a variable read is never silently ignored, so a bad
//! one stops the command and is named.
use e2e::exit::{SERVER, USAGE};
use e2e::procs::publisher_with_env;
use e2e::tls::TestPki;
use e2e::{expect_exit, Agent, NatsServer};
use std::time::{Duration, Instant};

/// `NATS_CA` naming a file that does not exist stops the send before any
/// connection (exit 2), and the error names `NATS_CA`: it is not ignored
/// and the message does not go out unverified.
#[test]
fn a_missing_nats_ca_file_is_named_and_nothing_is_sent() {
    let server = NatsServer::start();
    let mut tap = e2e::RawClient::connect(server.port());
    tap.subscribe("broadcast");
    let out = publisher_with_env(
        &server.url(),
        &["send", "not sent"],
        &[("NATS_CA", "/nonexistent.pem")],
    );
    expect_exit(&out, USAGE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NATS_CA") && stderr.contains("/nonexistent.pem"),
        "{stderr}"
    );
    assert!(tap.next_message(Duration::from_millis(300)).is_none());
}

/// A server that requires client certificates: the publisher connects with
/// the `nats` CLI's flags `--tlsca`, `--tlscert`, `--tlskey`, the agent with
/// its variables `NATS_CA`, `NATS_CERT`, `NATS_KEY`, and the message
/// arrives.
#[test]
fn the_nats_cli_tls_flags_and_variables_connect() {
    let pki = TestPki::new();
    let server = NatsServer::start_with_config_file(pki.server_config(true));
    let url = server.tls_url();
    let files = pki.client_files();
    let [ca, cert, key] = files.each_ref().map(String::as_str);
    let mut agent = Agent::spawn_with_env(
        &url,
        &["--session-id", "alice"],
        &[("NATS_CA", ca), ("NATS_CERT", cert), ("NATS_KEY", key)],
    );
    agent.wait_subscribed();
    let flags = [
        "--tlsca",
        ca,
        "--tlscert",
        cert,
        "--tlskey",
        key,
        "send",
        "with the nats CLI's flags",
    ];
    expect_exit(&publisher_with_env(&url, &flags, &[]), 0);
    assert_eq!(agent.next_text(), "with the nats CLI's flags");
}

/// A server that accepts the connection and never answers: with
/// `NATS_TIMEOUT=1s` the publisher gives up after about a second, not the
/// default five, and says so.
#[test]
fn nats_timeout_bounds_the_connection() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("nats://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let out = publisher_with_env(&url, &["send", "x"], &[("NATS_TIMEOUT", "1s")]);
    let took = started.elapsed();
    expect_exit(&out, SERVER);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no answer within 1s"), "{stderr}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    drop(silent);
}
