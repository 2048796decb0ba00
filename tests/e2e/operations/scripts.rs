//! What a script or a 4D method reads from `publisher … --json`: exactly one
//! JSON value on stdout whatever happens (docs/scripts.md). On success the
//! command's result; on failure an error object with the exit code, a
//! stable kind and the message stderr shows, for usage errors clap finds,
//! an unreachable server, a user with no live session, a target that
//! cannot be sealed to, and a send some target did not confirm (the report,
//! carrying the error).

use e2e::server::free_port;
use e2e::{expect_exit, publisher, stderr, Agent, NatsServer};
use serde_json::{json, Value};
use std::process::Output;

/// Asserts that the publisher exited with `code` and printed exactly one
/// line on stdout, one JSON value; returns it.
fn one_json(out: &Output, code: i32) -> Value {
    let stdout = expect_exit(out, code);
    assert!(
        stdout.ends_with('\n') && stdout.matches('\n').count() == 1,
        "not one line: {stdout:?}"
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Asserts that `value` is the error object of exit `code` and `kind`,
/// and nothing else; returns its message, which is also what stderr says
/// after `publisher: ` when the publisher found the error itself (clap's
/// own usage errors keep clap's layout on stderr).
fn error_of(value: &Value, code: i32, kind: &str) -> String {
    let keys: Vec<&String> = value.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["error"], "{value}");
    let error = &value["error"];
    assert_eq!(
        (&error["exit_code"], &error["kind"]),
        (&json!(code), &json!(kind)),
        "{value}"
    );
    error["message"].as_str().expect("a message").to_owned()
}

/// Exit 2 with `--json`: an unknown flag and a missing message (clap's
/// errors, on one line without clap's usage), an empty text and a settings
/// file with an unknown key (the publisher's) each print one error object
/// of kind `usage`. The same command lines without `--json` print nothing
/// on stdout, and `--json` after `--` is the message, not the flag.
#[test]
fn usage_errors_are_one_json_object() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    let bogus = publisher(&url, &["send", "--json", "--bogus", "x"]);
    let message = error_of(&one_json(&bogus, 2), 2, "usage");
    assert!(
        message.starts_with("unexpected argument '--bogus' found"),
        "{message}"
    );
    assert!(!message.contains("Usage:"), "{message}");
    assert!(stderr(&bogus).starts_with("error: unexpected argument '--bogus' found"));
    let on_top = publisher(&url, &["--json", "sessions", "--bogus"]);
    error_of(&one_json(&on_top, 2), 2, "usage");

    let missing = publisher(&url, &["send", "--json"]);
    let message = error_of(&one_json(&missing, 2), 2, "usage");
    assert_eq!(
        message,
        "the following required arguments were not provided: <MESSAGE>..."
    );

    let empty = publisher(&url, &["send", "--json", ""]);
    let message = error_of(&one_json(&empty, 2), 2, "usage");
    assert!(
        message.starts_with("the message text is empty"),
        "{message}"
    );
    assert_eq!(stderr(&empty), format!("publisher: {message}\n"));

    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("publisher.toml");
    std::fs::write(&settings, "sevrer = \"nats://x\"\n").unwrap();
    let config = settings.to_str().unwrap();
    let bad_file = publisher(&url, &["--config", config, "sessions", "--json"]);
    let message = error_of(&one_json(&bad_file, 2), 2, "usage");
    assert!(message.contains("`sevrer`"), "{message}");

    for args in [&["send", "--bogus", "x"][..], &["send", ""], &["send"]] {
        let out = publisher(&url, args);
        assert_eq!(expect_exit(&out, 2), "", "{args:?}");
    }
    let after_separator = publisher(&url, &["send", "--", "--json"]);
    assert_eq!(expect_exit(&after_separator, 3), "", "--json was the text");
}

/// Exit 3 with `--json`: a server nobody listens on is one error object of
/// kind `server`, for `send` and `sessions` alike, saying what stderr says.
#[test]
fn an_unreachable_server_is_one_json_object() {
    let url = format!("nats://127.0.0.1:{}", free_port());
    for args in [&["send", "--json", "hi"][..], &["sessions", "--json"]] {
        let out = publisher(&url, args);
        let message = error_of(&one_json(&out, 3), 3, "server");
        assert!(
            message.starts_with(&format!("cannot reach NATS at {url}")),
            "{message}"
        );
        assert_eq!(stderr(&out), format!("publisher: {message}\n"), "{args:?}");
    }
}

/// Exit 5 and 6 with `--json`: `--user` naming nobody live is one error
/// object of kind `no_session` naming the user, and `--seal` to a session
/// nobody holds one of kind `cannot_seal`; nothing was sent (the agent's
/// next message is a later marker).
#[test]
fn refused_targets_are_one_json_object() {
    let server = NatsServer::start();
    let mut bob = Agent::start_with(&server.url(), "bob", &["--user-name", "bob"]);

    let out = publisher(&server.url(), &["send", "--json", "--user", "nobody", "x"]);
    let message = error_of(&one_json(&out, 5), 5, "no_session");
    assert!(
        message.contains("nobody") && message.contains("bob"),
        "{message}"
    );
    let out = publisher(
        &server.url(),
        &["send", "--json", "--seal", "--session", "ghost", "x"],
    );
    let message = error_of(&one_json(&out, 6), 6, "cannot_seal");
    assert!(message.contains("ghost"), "{message}");

    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    assert_eq!(bob.next_text(), "marker", "a refused send reached bob");
}

/// A send with `--json` that succeeds prints its report without `error`;
/// one where some target did not confirm (exit 4) prints the same report
/// with the error, kind `not_confirmed`, in that one object; `sessions
/// --json` prints its array.
#[test]
fn reports_carry_the_error_only_when_they_fail() {
    let server = NatsServer::start();
    let mut bob = Agent::start(&server.url(), "bob");

    let out = publisher(&server.url(), &["send", "--json", "--session", "bob", "hi"]);
    let report = one_json(&out, 0);
    assert_eq!(report["delivered"], 1, "{report}");
    assert!(report.get("error").is_none(), "{report}");
    assert_eq!(bob.next_text(), "hi");

    let out = publisher(
        &server.url(),
        &[
            "send",
            "--json",
            "--session",
            "bob",
            "--session",
            "ghost",
            "hi",
        ],
    );
    let report = one_json(&out, 4);
    assert_eq!(
        (&report["delivered"], &report["missing"]),
        (&json!(1), &json!(["ghost"])),
        "{report}"
    );
    assert_eq!(
        report["error"],
        json!({
            "exit_code": 4,
            "kind": "not_confirmed",
            "message": "1 of 2 sessions did not confirm: ghost",
        })
    );
    assert_eq!(
        stderr(&out),
        "publisher: 1 of 2 sessions did not confirm: ghost\n"
    );

    let listed = one_json(&publisher(&server.url(), &["sessions", "--json"]), 0);
    assert_eq!(listed[0]["id"], "bob", "{listed}");
}
