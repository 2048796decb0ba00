//! Sessions: who is connected and who got it. Here: `publisher sessions`,
//! `send --user`, and delivery receipts, with real agents that are alive,
//! killed or frozen. Beside them:
//!
//! - [`fourd`]: 4D's own session ids and user names, end to end.
//! - [`where_filter`]: `send --where` and `sessions --where`: targeting by
//!   labels and the listed fields.

mod fourd;
mod where_filter;

use e2e::exit::{NOT_CONFIRMED, NO_SESSION};
use e2e::procs::publisher_with_env;
use e2e::{expect_exit, publisher, Agent, NatsServer};
use nix::sys::signal::Signal;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Three agents for two users, as in the 4D example: vanessa twice, carl once.
fn three_agents(server: &NatsServer) -> [Agent; 3] {
    [
        Agent::start_with(
            &server.url(),
            "alice",
            &["--user-name", "vanessa", "--label", "dept=sales"],
        ),
        Agent::start_with(&server.url(), "bob", &["--user-name", "vanessa"]),
        Agent::start_with(&server.url(), "carol", &["--user-name", "carl"]),
    ]
}

fn sessions_json(server: &NatsServer, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["sessions", "--json"];
    args.extend_from_slice(extra);
    let out = expect_exit(&publisher(&server.url(), &args), 0);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn ids(sessions: &[Value]) -> Vec<String> {
    sessions
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls the listing until it shows exactly `expected`, at most 10 s: the
/// server notices a dead connection on its own schedule.
fn wait_for_listing(server: &NatsServer, expected: &[&str]) {
    let deadline = Instant::now() + e2e::WAIT;
    loop {
        let now = ids(&sessions_json(server, &["--timeout", "300ms"]));
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "listing stayed {now:?}, expected {expected:?}"
        );
    }
}

/// `sessions` lists exactly the three live agents, sorted by user then id,
/// with exactly the documented fields; `--user` filters; the table has the
/// documented columns and a count line.
#[test]
fn sessions_lists_exactly_the_live_agents() {
    let server = NatsServer::start();
    let _agents = three_agents(&server);

    let all = sessions_json(&server, &[]);
    assert_eq!(ids(&all), ["carol", "alice", "bob"]);
    let users: Vec<_> = all.iter().map(|s| s["user"].as_str().unwrap()).collect();
    assert_eq!(users, ["carl", "vanessa", "vanessa"]);
    let mut keys: Vec<_> = all[1].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    let documented = [
        "host", "id", "labels", "os", "since", "user", "version", "xkey",
    ];
    assert_eq!(keys, documented);
    assert!(remote_message::SealingKey::parse(all[1]["xkey"].as_str().unwrap()).is_some());
    assert_eq!(all[1]["labels"], serde_json::json!({"dept": "sales"}));
    assert_eq!(all[1]["version"], env!("CARGO_PKG_VERSION"));
    assert!(all[1]["since"].as_str().unwrap().ends_with('Z'));

    assert_eq!(
        ids(&sessions_json(&server, &["--user", "vanessa"])),
        ["alice", "bob"]
    );
    assert!(sessions_json(&server, &["--user", "nobody"]).is_empty());

    let table = expect_exit(&publisher(&server.url(), &["sessions"]), 0);
    let lines: Vec<&str> = table.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["SESSION", "USER", "HOST", "SINCE", "VERSION"]);
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&first[..2], ["carol", "carl"]);
    assert_eq!(lines.last(), Some(&"3 sessions"));
}

/// An agent that was killed (SIGKILL: no goodbye) drops out of the list.
#[test]
fn killed_agent_disappears_from_the_list() {
    let server = NatsServer::start();
    let [alice, bob, carol] = three_agents(&server);
    bob.signal(Signal::SIGKILL);
    wait_for_listing(&server, &["carol", "alice"]);
    drop((alice, carol));
}

/// A frozen agent (SIGSTOP) is not listed, and a send to the three sessions
/// by id reports `delivered to 2 of 3` with the frozen id missing and exit 4.
#[test]
fn frozen_agent_is_not_listed_and_is_reported_missing() {
    let server = NatsServer::start();
    let [mut alice, bob, mut carol] = three_agents(&server);
    bob.signal(Signal::SIGSTOP);

    assert_eq!(ids(&sessions_json(&server, &[])), ["carol", "alice"]);

    let args = [
        "send",
        "--wait",
        "1s",
        "--session",
        "alice",
        "--session",
        "bob",
        "--session",
        "carol",
        "Hello",
    ];
    let stdout = expect_exit(&publisher(&server.url(), &args), NOT_CONFIRMED);
    assert!(
        stdout.contains("to session.bob: no confirmation within 1s"),
        "{stdout}"
    );
    assert!(
        stdout.contains("delivered to 2 of 3 sessions; missing: bob"),
        "{stdout}"
    );
    assert_eq!(alice.next_text(), "Hello");
    assert_eq!(carol.next_text(), "Hello");

    let mut json_args = vec!["send", "--json"];
    json_args.extend_from_slice(&args[1..]);
    let report: Value = serde_json::from_str(&expect_exit(
        &publisher(&server.url(), &json_args),
        NOT_CONFIRMED,
    ))
    .unwrap();
    assert_eq!(
        (report["expected"].as_u64(), report["delivered"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(report["missing"], serde_json::json!(["bob"]));
    assert_eq!(report["not_connected"], serde_json::json!([]));
    bob.signal(Signal::SIGCONT);
}

/// `send --user vanessa` reaches exactly vanessa's two sessions (carl's
/// next message is a later marker); an unknown user is an error with exit 5
/// and nothing sent.
#[test]
fn user_sends_reach_exactly_that_users_sessions() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol] = three_agents(&server);

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--user", "vanessa", "Hello Vanessa"],
        ),
        0,
    );
    assert!(stdout.contains("delivered to 2 of 2 sessions"), "{stdout}");
    assert_eq!(alice.next_text(), "Hello Vanessa");
    assert_eq!(bob.next_text(), "Hello Vanessa");

    let out = publisher(&server.url(), &["send", "--user", "nobody", "lost"]);
    expect_exit(&out, NO_SESSION);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no live session for user \"nobody\""),
        "{stderr}"
    );

    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    for agent in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(agent.next_text(), "marker");
    }
}

/// `publisher --user vanessa send "to V?"` on a server without
/// authentication: that `--user` is the NATS login, not the target, and it
/// has no password. It is refused with exit 2 and the hint that `send
/// --user NAME` names the target, the same whether the login comes from the
/// command line, `NATS_USER` or the settings file; no agent shows the
/// message (each one's next message is a later marker).
#[test]
fn a_login_user_without_password_never_turns_into_a_broadcast() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol] = three_agents(&server);
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("publisher.toml");
    std::fs::write(&settings, "user = \"vanessa\"\n").unwrap();
    let settings = settings.to_str().unwrap();

    for out in [
        publisher(&server.url(), &["--user", "vanessa", "send", "to V?"]),
        publisher_with_env(
            &server.url(),
            &["send", "to V?"],
            &[("NATS_USER", "vanessa")],
        ),
        publisher(&server.url(), &["--config", settings, "send", "to V?"]),
    ] {
        assert!(expect_exit(&out, 2).is_empty(), "nothing reported as sent");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--user \"vanessa\" is a NATS login, and it has no password")
                && stderr.contains("name it after send: publisher send --user vanessa MESSAGE"),
            "{stderr}"
        );
    }

    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    for agent in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(agent.next_text(), "marker", "an agent showed \"to V?\"");
    }
}

/// User names match as 4D's query does, whatever their case:
/// `sessions --user VANESSA` lists vanessa's two sessions and `send --user
/// Vanessa` reaches exactly them; carl's next message is a later marker.
#[test]
fn user_names_match_whatever_their_case() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol] = three_agents(&server);

    let mut listed = ids(&sessions_json(&server, &["--user", "VANESSA"]));
    listed.sort();
    assert_eq!(listed, ["alice", "bob"]);

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--user", "Vanessa", "Hello Vanessa"],
        ),
        0,
    );
    assert!(stdout.contains("delivered to 2 of 2 sessions"), "{stdout}");
    assert_eq!(alice.next_text(), "Hello Vanessa");
    assert_eq!(bob.next_text(), "Hello Vanessa");

    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    for agent in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(agent.next_text(), "marker", "carl got vanessa's message");
    }
}

/// A session id nobody holds is reported "not connected" at once (NATS
/// no-responders), not after the 10 s wait; `--no-wait` just sends.
#[test]
fn unknown_session_is_reported_not_connected_at_once() {
    let server = NatsServer::start();
    let started = Instant::now();
    let out = publisher(
        &server.url(),
        &["send", "--wait", "10s", "--session", "ghost", "anyone?"],
    );
    let stdout = expect_exit(&out, NOT_CONFIRMED);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stdout.contains("to session.ghost: not connected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("delivered to 0 of 1 session; missing: ghost"),
        "{stdout}"
    );

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--no-wait", "--session", "ghost", "x"],
        ),
        0,
    );
    assert!(stdout.ends_with(" to session.ghost\n"), "{stdout}");
}

/// A broadcast with `--wait` lists the live sessions first and reports
/// 3 of 3 once every agent confirmed.
#[test]
fn broadcast_wait_counts_every_live_session() {
    let server = NatsServer::start();
    let mut agents = three_agents(&server);
    let stdout = expect_exit(
        &publisher(&server.url(), &["send", "--wait", "5s", "Everyone"]),
        0,
    );
    assert!(stdout.contains("delivered to 3 of 3 sessions"), "{stdout}");
    for agent in &mut agents {
        assert_eq!(agent.next_text(), "Everyone");
    }
    let out = publisher(&server.url(), &["send", "--wait", "--json", "Again"]);
    let report: Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(
        (report["expected"].as_u64(), report["delivered"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(report["missing"], serde_json::json!([]));
    assert_eq!(report["subjects"], serde_json::json!(["broadcast"]));
}

/// A fleet that answers for longer than the listing's wait is listed whole:
/// 30 answers arrive 50 ms apart from the ping on (1.5 s, three times
/// `--timeout 500ms`) and all 30 are listed, because each came within the
/// quiet gap of the one before; one more, sent after a silence eight times
/// that gap, is not: the listing had ended.
#[test]
fn a_listing_goes_on_while_answers_keep_coming() {
    use remote_message::sessions::{entry_answer, SessionInfo, LIST_QUIET};
    let server = NatsServer::start();
    let mut fleet = e2e::RawClient::connect(server.port());
    fleet.subscribe("sessions.ping");
    let url = server.url();
    let listing =
        std::thread::spawn(move || publisher(&url, &["sessions", "--json", "--timeout", "500ms"]));
    let ping = fleet.next_message(e2e::WAIT).expect("the listing's ping");
    let reply = ping.reply.expect("a reply subject");
    let answer = |fleet: &mut e2e::RawClient, id: &str| {
        let info: SessionInfo = serde_json::from_value(serde_json::json!({
            "id": id, "user": "slow", "host": "h", "os": "o", "version": "0",
            "since": "2026-12-01T00:00:00Z", "labels": {},
        }))
        .unwrap();
        let (subject, payload) = entry_answer(&reply, &info).expect("an entry reply subject");
        fleet.publish(&subject, &payload);
    };
    let expected: Vec<String> = (0..30).map(|i| format!("slow-{i:02}")).collect();
    for id in &expected {
        answer(&mut fleet, id);
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(LIST_QUIET * 8);
    answer(&mut fleet, "late");

    let out = expect_exit(&listing.join().unwrap(), 0);
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        ids(&listed),
        expected,
        "listed exactly the 30, not the late one"
    );
}

/// An agent that answers a listing again and again, every 100 ms (the
/// same entry, or another one for its id: its own valid credentials let
/// it), does not stretch the listing to its 30 s limit: `sessions
/// --timeout 500ms` ends well within 5 s and lists that session once. The
/// repeats did reach the listing: it warns of the ones that differ.
#[tokio::test]
async fn a_session_answering_again_and_again_does_not_stretch_a_listing() {
    use futures::StreamExt;
    use remote_message::sessions::{entry_answer, SessionInfo};
    let server = NatsServer::start();
    let attacker = async_nats::connect(server.url()).await.unwrap();
    let mut pings = attacker.subscribe("sessions.ping").await.unwrap();
    attacker.flush().await.unwrap();
    let url = server.url();
    let started = Instant::now();
    let mut listing = tokio::task::spawn_blocking(move || {
        publisher(&url, &["sessions", "--json", "--timeout", "500ms"])
    });
    let ping = tokio::time::timeout(e2e::WAIT, pings.next())
        .await
        .expect("the listing's ping within 10 s")
        .expect("the subscription is open");
    let reply = ping.reply.expect("a reply subject");
    let entry = |host: &str| {
        let info: SessionInfo = serde_json::from_value(serde_json::json!({
            "id": "mallory", "user": "mallory", "host": host, "os": "o",
            "version": "0", "since": "2026-12-01T00:00:00Z", "labels": {},
        }))
        .unwrap();
        entry_answer(&reply, &info).expect("an entry reply subject")
    };
    let (subject, same) = entry("pc-m");
    let (_, other) = entry("elsewhere");
    let mut again = tokio::time::interval(Duration::from_millis(100));
    let mut answered = 0;
    // The publisher is bounded: the harness kills it past 30 s and panics.
    let out = loop {
        tokio::select! {
            done = &mut listing => break done.expect("the publisher's thread"),
            _ = again.tick() => {
                let payload = if answered % 2 == 0 { &same } else { &other };
                attacker
                    .publish(subject.clone(), payload.clone().into())
                    .await
                    .unwrap();
                answered += 1;
            }
        }
    };
    let took = started.elapsed();

    let listed: Vec<Value> = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(ids(&listed), ["mallory"], "listed once");
    assert_eq!(listed[0]["host"], "pc-m", "the first answer is the entry");
    assert!(
        took < Duration::from_secs(5),
        "the listing took {took:?} ({answered} answers sent)"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("answered twice for a session already listed"),
        "the repeats reached the listing ({answered} sent): {stderr}"
    );
}

/// Nothing an entry holds forges a row of `publisher sessions`: an agent
/// whose `--user-name` holds a line separator (U+2028, no control
/// character, so a valid user name) before a whole fake row, a bidi
/// override and a zero-width space, and an entry whose host holds a line
/// break before a fake row and a bidi override, are one row each, those
/// characters shown escaped. `--json` keeps them as the agent sent them
/// (JSON escapes them), its `--label` with a line break too.
#[test]
fn an_entry_cannot_forge_a_row_of_the_table() {
    use remote_message::sessions::{entry_answer, SessionInfo};
    const FAKE_ROW: &str = "r1  root  srv  2026-11-22 08:00:00  0";
    let server = NatsServer::start();
    let user = format!("eve\u{2028}{FAKE_ROW}\u{202E}n\u{200B}imda");
    let label = "note=a\nb\u{202E}c\u{200B}";
    let _eve = Agent::start_with(
        &server.url(),
        "eve",
        &["--user-name", &user, "--label", label],
    );
    let json = sessions_json(&server, &[]);
    assert_eq!(ids(&json), ["eve"]);
    assert_eq!(json[0]["user"], user.as_str());
    assert_eq!(json[0]["labels"]["note"], "a\nb\u{202E}c\u{200B}");

    let mut fake = e2e::RawClient::connect(server.port());
    fake.subscribe("sessions.ping");
    let url = server.url();
    let listing = std::thread::spawn(move || publisher(&url, &["sessions"]));
    let ping = fake.next_message(e2e::WAIT).expect("the listing's ping");
    let info: SessionInfo = serde_json::from_value(serde_json::json!({
        "id": "mallory", "user": "mallory", "host": format!("pc\n{FAKE_ROW}\u{202E}"),
        "os": "o", "version": "0\u{2028}1", "since": "2026-12-01T00:00:00Z", "labels": {},
    }))
    .unwrap();
    let reply = ping.reply.expect("a reply subject");
    let (subject, payload) = entry_answer(&reply, &info).expect("an entry reply subject");
    fake.publish(&subject, &payload);

    let table = expect_exit(&listing.join().unwrap(), 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "a header, two rows, a count:\n{table}");
    assert!(lines[1].starts_with("eve "), "{table}");
    assert!(
        lines[1].contains(&format!(
            "eve\\u{{2028}}{FAKE_ROW}\\u{{202e}}n\\u{{200b}}imda"
        )),
        "{table}"
    );
    assert!(lines[2].starts_with("mallory "), "{table}");
    assert!(
        lines[2].contains(&format!("pc\\n{FAKE_ROW}\\u{{202e}}")),
        "{table}"
    );
    assert!(lines[2].ends_with("0\\u{2028}1"), "{table}");
    assert_eq!(lines[3], "2 sessions");
    for hidden in ['\u{202E}', '\u{2028}', '\u{200B}', '\r'] {
        assert!(!table.contains(hidden), "{hidden:?} in {table:?}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("r1 ")),
        "a forged row: {table}"
    );
}
