//! Refused creds name their cause. The server answers "authorization
//! violation" whatever the reason; the agent and the publisher tell why from
//! the creds' JWT: expired at, not valid until, an account the server does
//! not know (another set-up, or a session account not pushed), or creds of
//! the other program. The agent says each cause once while it retries (event
//! `creds_refused`, field `cause`), and no library line reaches stderr at the
//! default log level.
use e2e::exit::{SERVER, USAGE};
use e2e::identity::{Identity, Signer};
use e2e::{expect_exit, Agent};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The longest an agent may take to be refused [`REFUSALS`] times.
const RETRYING: Duration = Duration::from_secs(60);
/// How many refused attempts the agent must have made (after its first
/// warning) before the count of warnings is checked.
const REFUSALS: usize = 4;

/// Seconds since the epoch, `offset` from now.
fn epoch(offset: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    now + offset
}

/// Runs an agent with `creds` against `identity`'s server until the server
/// has refused it [`REFUSALS`] times (bounded by [`RETRYING`]), and asserts
/// that it told `cause` exactly once (and no other cause) meanwhile, and
/// that every stderr record is one of ours. Returns the one record.
fn told_once_while_retrying(identity: &Identity, creds: &str, cause: &str) -> Value {
    let mut agent = Agent::spawn(&identity.url(), &["--creds", creds]);
    let told = agent.wait_event("creds_refused");
    assert_eq!(told["cause"], cause, "{told}");
    assert_eq!(told["level"], "WARN", "{told}");
    let until = Instant::now() + RETRYING;
    // Only this agent is refused there (2.9 names it, newer servers do not).
    while identity.server.log_count("authentication error") < REFUSALS {
        assert!(
            Instant::now() < until,
            "fewer than {REFUSALS} refused attempts within {RETRYING:?}"
        );
        assert!(agent.is_running(), "the agent stopped: {:?}", agent.logs());
        // Polls the server's log: the refusals are what is waited for.
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        agent.events("creds_refused").len(),
        1,
        "told again: {:?}",
        agent.logs()
    );
    for line in agent.logs() {
        let record: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{line}"));
        let target = record["target"].as_str().unwrap_or_default();
        assert!(
            target.starts_with("subscriber") || target.starts_with("remote_message"),
            "a library's line: {line}"
        );
    }
    told
}

/// An agent whose JWT expired an hour ago says "expired at" once, before
/// its first attempt and then while it retries for 11 s.
#[test]
fn an_agent_with_expired_creds_says_so_once() {
    let identity = Identity::start();
    let fresh = identity.agent_creds("alice", None);
    let expired = identity.edited_creds(&fresh, Signer::Session("alice"), |claims| {
        claims["exp"] = epoch(-3600).into();
    });
    let told = told_once_while_retrying(&identity, expired.to_str().unwrap(), "expired");
    let text = told["message"].as_str().unwrap();
    assert!(text.contains("expired at"), "{text}");
}

/// An agent whose session account was minted with `--no-push` is told
/// that the server does not know its account, and what ops can do
/// (`admin push`), once while it retries.
#[test]
fn an_agent_whose_account_was_not_pushed_says_so_once() {
    let identity = Identity::start();
    let creds = identity.unpushed_agent_creds("alice");
    let told = told_once_while_retrying(&identity, creds.to_str().unwrap(), "unknown_account");
    let text = told["message"].as_str().unwrap();
    assert!(text.contains("admin push"), "{text}");
}

/// An agent with creds of another set-up (a second `admin init`, another
/// operator) is told the server does not know their account, once.
#[test]
fn an_agent_with_creds_of_another_set_up_says_so_once() {
    let ours = Identity::start();
    let theirs = Identity::start();
    let creds = theirs.agent_creds("alice", None);
    let told = told_once_while_retrying(&ours, creds.to_str().unwrap(), "unknown_account");
    let text = told["message"].as_str().unwrap();
    assert!(text.contains("another set-up"), "{text}");
}

/// An agent given ops creds connects, and the server refuses what it does:
/// it is told once that these are ops creds, not on every refusal.
#[test]
fn an_agent_with_ops_creds_is_told_the_role_once() {
    let identity = Identity::start();
    let ops = identity.ops_creds();
    let mut agent = Agent::spawn(&identity.url(), &["--creds", ops.to_str().unwrap()]);
    let told = agent.wait_event("creds_refused");
    assert_eq!(told["cause"], "wrong_role", "{told}");
    // Each confirmation retry is refused again (every 2 s or so).
    agent.wait_event("subscription_unconfirmed");
    assert_eq!(agent.events("creds_refused").len(), 1, "{:?}", agent.logs());
    assert!(
        agent.events("server_error").is_empty(),
        "{:?}",
        agent.logs()
    );
}

/// The publisher with ops creds that expired, that are not valid yet, or of
/// another set-up: exit 3, one line naming the cause, no library line
/// before it. With an agent's creds: exit 2 before connecting.
#[test]
fn the_publisher_names_the_cause_alone() {
    let identity = Identity::start();
    let other = Identity::start();
    let ops = identity.ops_creds();
    let expired = identity.edited_creds(&ops, Signer::Ops, |claims| {
        claims["exp"] = epoch(-60).into();
    });
    let later = identity.edited_creds(&ops, Signer::Ops, |claims| {
        claims["nbf"] = epoch(3600).into();
    });
    let agent = identity.agent_creds("alice", None);
    for (creds, code, names) in [
        (expired, SERVER, "expired at"),
        (later, SERVER, "is not valid until"),
        (other.ops_creds(), SERVER, "another set-up"),
        (agent, USAGE, "an agent's creds (session alice)"),
    ] {
        let out = e2e::publisher(
            &identity.url(),
            &["--creds", creds.to_str().unwrap(), "send", "x"],
        );
        expect_exit(&out, code);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].starts_with("publisher: "), "{stderr}");
        assert!(lines[0].contains(names), "{stderr}");
        assert!(!stderr.contains("ERROR"), "{stderr}");
    }
}
