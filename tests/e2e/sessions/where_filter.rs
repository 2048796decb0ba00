//! `--where KEY=VALUE` end to end: `send --where` reaches exactly the live
//! sessions that match, `sessions --where` lists exactly those, it narrows
//! `--user` and `--session`, and a filter that matches nothing or cannot be
//! read sends nothing. Four real agents on a real nats-server; whoever must
//! not have got a message proves it by showing a later marker next.

use super::{ids, sessions_json};
use e2e::exit::{NO_SESSION, USAGE};
use e2e::{expect_exit, publisher, Agent, NatsServer};
use serde_json::Value;

/// Four agents: alice (vanessa) and carol (carl) labelled dept=sales, bob
/// (vanessa) with no label, dave (carl) in dept=it.
fn four_agents(server: &NatsServer) -> [Agent; 4] {
    let start = |session, user, extra: &[&str]| {
        let mut args = vec!["--user-name", user];
        args.extend_from_slice(extra);
        Agent::start_with(&server.url(), session, &args)
    };
    [
        start("alice", "vanessa", &["--label", "dept=sales"]),
        start("bob", "vanessa", &[]),
        start("carol", "carl", &["--label", "dept=sales"]),
        start("dave", "carl", &["--label", "dept=it"]),
    ]
}

/// A broadcast marker sent after the message under test: each agent's next
/// message is the marker, so none of them holds the message unseen.
fn everyone_shows_a_marker_next(server: &NatsServer, agents: &mut [&mut Agent], not: &str) {
    expect_exit(&publisher(&server.url(), &["send", "marker"]), 0);
    for agent in agents {
        assert_eq!(agent.next_text(), "marker", "an agent showed {not:?}");
    }
}

/// `send --where dept=sales` sends one session message to each of the two
/// agents labelled so and reports 2 of 2; bob and dave, unlabelled and in
/// dept=it, show the later marker next. Sealed, it reaches the same two.
#[test]
fn send_where_reaches_exactly_the_matching_sessions() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol, mut dave] = four_agents(&server);

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &["send", "--where", "dept=sales", "Sales meeting at 3"],
        ),
        0,
    );
    assert!(stdout.contains("to session.alice"), "{stdout}");
    assert!(stdout.contains("to session.carol"), "{stdout}");
    assert!(stdout.contains("delivered to 2 of 2 sessions"), "{stdout}");
    assert_eq!(alice.next_text(), "Sales meeting at 3");
    assert_eq!(carol.next_text(), "Sales meeting at 3");
    everyone_shows_a_marker_next(
        &server,
        &mut [&mut alice, &mut bob, &mut carol, &mut dave],
        "Sales meeting at 3",
    );

    let out = publisher(
        &server.url(),
        &[
            "send",
            "--seal",
            "--json",
            "--where",
            "label.dept=sales",
            "Sealed for sales",
        ],
    );
    let report: Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(
        report["subjects"],
        serde_json::json!(["session.carol", "session.alice"]),
        "in listing order: by user, then id"
    );
    assert_eq!(alice.next_text(), "Sealed for sales");
    assert_eq!(carol.next_text(), "Sealed for sales");
    everyone_shows_a_marker_next(
        &server,
        &mut [&mut alice, &mut bob, &mut carol, &mut dave],
        "Sealed for sales",
    );
}

/// `sessions --where dept=sales` lists exactly alice and carol (sorted by
/// user, as every listing), in JSON and in the table; `label.dept` is the
/// same label, and the host every agent shares matches all four.
#[test]
fn sessions_where_lists_exactly_the_matching_sessions() {
    let server = NatsServer::start();
    let _agents = four_agents(&server);

    assert_eq!(
        ids(&sessions_json(&server, &["--where", "dept=sales"])),
        ["carol", "alice"]
    );
    assert_eq!(
        ids(&sessions_json(&server, &["--where", "label.dept=sales"])),
        ["carol", "alice"]
    );
    let all = sessions_json(&server, &[]);
    let host = all[0]["host"].as_str().unwrap().to_owned();
    let os = all[0]["os"].as_str().unwrap().to_owned();
    let same_host = sessions_json(
        &server,
        &[
            "--where",
            &format!("host={host}"),
            "--where",
            &format!("os={os}"),
        ],
    );
    assert_eq!(ids(&same_host), ["carol", "dave", "alice", "bob"]);
    assert!(sessions_json(&server, &["--where", "dept=Sales"]).is_empty());

    let table = expect_exit(
        &publisher(&server.url(), &["sessions", "--where", "dept=sales"]),
        0,
    );
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(rows, ["carol", "alice", "2"], "{table}");
    assert_eq!(table.lines().last(), Some("2 sessions"));
}

/// `--where` narrows `--user` and `--session` (all conditions must hold):
/// `send --user vanessa --where dept=sales` reaches alice only, `sessions
/// --user carl --where dept=sales` lists carol only, `user=CARL` as a
/// condition picks carl's two, and `--session bob --where dept=sales`
/// (bob has no label) is exit 5 with nothing sent.
#[test]
fn where_narrows_user_and_session() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol, mut dave] = four_agents(&server);

    let stdout = expect_exit(
        &publisher(
            &server.url(),
            &[
                "send",
                "--user",
                "vanessa",
                "--where",
                "dept=sales",
                "Vanessa in sales",
            ],
        ),
        0,
    );
    assert!(stdout.contains("delivered to 1 of 1 session"), "{stdout}");
    assert_eq!(alice.next_text(), "Vanessa in sales");

    assert_eq!(
        ids(&sessions_json(
            &server,
            &["--user", "carl", "--where", "dept=sales"]
        )),
        ["carol"]
    );
    assert_eq!(
        ids(&sessions_json(&server, &["--where", "user=CARL"])),
        ["carol", "dave"]
    );

    let out = publisher(
        &server.url(),
        &[
            "send",
            "--session",
            "bob",
            "--where",
            "dept=sales",
            "not for bob",
        ],
    );
    expect_exit(&out, NO_SESSION);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "none of the 1 live sessions that --session and --user give matches \
             --where dept=sales; nothing was sent"
        ),
        "{stderr}"
    );
    everyone_shows_a_marker_next(
        &server,
        &mut [&mut alice, &mut bob, &mut carol, &mut dave],
        "not for bob",
    );
}

/// A filter no live session meets is exit 5 (`no_session` under --json),
/// its message naming the filter; a bad --where (no `=`, no key, a label
/// key the --label rule refuses) is exit 2 saying what to write. No agent
/// shows any of these messages: each shows the later marker next.
#[test]
fn no_match_and_bad_where_send_nothing() {
    let server = NatsServer::start();
    let [mut alice, mut bob, mut carol, mut dave] = four_agents(&server);

    let out = publisher(
        &server.url(),
        &[
            "send", "--where", "dept=hr", "--where", "os=linux", "for hr",
        ],
    );
    assert!(expect_exit(&out, NO_SESSION).is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "publisher: no live session matches --where dept=hr --where os=linux (4 live); \
             nothing was sent"
        ),
        "{stderr}"
    );
    let out = publisher(
        &server.url(),
        &["send", "--json", "--where", "dept=hr", "for hr"],
    );
    let error: Value = serde_json::from_str(&expect_exit(&out, NO_SESSION)).unwrap();
    assert_eq!(error["error"]["kind"], "no_session");

    for (bad, says) in [
        ("dept", "--where \"dept\" has no '=': write KEY=VALUE"),
        (
            "=sales",
            "--where \"=sales\" has no key before '=': write KEY=VALUE",
        ),
        (
            "sp ace=x",
            "label key \"sp ace\" is not 1 or more characters",
        ),
    ] {
        for command in ["send", "sessions"] {
            let mut args = vec![command, "--where", bad];
            if command == "send" {
                args.push("bad filter");
            }
            let out = publisher(&server.url(), &args);
            assert!(expect_exit(&out, USAGE).is_empty(), "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(says), "{args:?}: {stderr}");
        }
    }
    everyone_shows_a_marker_next(
        &server,
        &mut [&mut alice, &mut bob, &mut carol, &mut dave],
        "for hr / bad filter",
    );
}
