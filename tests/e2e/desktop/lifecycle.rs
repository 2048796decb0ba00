//! The whole message lifecycle with the real binaries on both sides: ops
//! ask with `publisher send --answer`, users answer on a dunst notification,
//! in a terminal and through an `--exec` program, ops collect the answers at
//! once and later (`publisher status`, from a new process), recall a send
//! (the notification closes, a stopped agent never shows it) and remind
//! until OK. The parts are played one by one in `delivery::lifecycle` and
//! `operations::lifecycle`; here they meet.

use super::{agent_on_dunst, json, notification_id};
use crate::delivery::lifecycle::{act, script};
use e2e::desktop::Desktop;
use e2e::exit::NOT_CONFIRMED;
use e2e::{expect_exit, publisher, Agent, NatsServer};
use serde_json::{json, Value};
use std::thread;

const QUESTION: &str = "May I restart the server now?";

/// `publisher <args>` in a thread, for a send that waits while the test
/// plays the users.
fn publisher_meanwhile(
    server: &NatsServer,
    args: &[&str],
) -> thread::JoinHandle<std::process::Output> {
    let url = server.url();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        publisher(&url, &args)
    })
}

/// `publisher status <send> --json`, from a new process, once `ready`
/// holds for it (the ledger stores rows a moment after ops saw them live),
/// within [`e2e::WAIT`].
fn status_once(server: &NatsServer, send: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + e2e::WAIT;
    loop {
        let report = json(&expect_exit(
            &publisher(&server.url(), &["status", send, "--json"]),
            0,
        ));
        if ready(&report) || std::time::Instant::now() > deadline {
            return report;
        }
    }
}

/// The `sessions` entry of `session` in a status or tally report.
fn session<'a>(report: &'a Value, session: &str) -> &'a Value {
    report["sessions"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["session"] == session))
        .unwrap_or_else(|| panic!("no {session} in {report}"))
}

/// Ops ask alice, bob and carol "May I restart the server now?" with two
/// answers, and wait. Alice clicks "Restart now" on her dunst notification;
/// bob, at a terminal agent, runs `subscriber answer <id> "restart now"`;
/// carol's `--exec` program prints `2` ("In 1 hour"). `send --answer …
/// --wait` returns once all three answered and prints the tally (2 and 1,
/// nobody left); later a new `publisher status` process reads the same from
/// the ledger, with how each answered (desktop, terminal, exec).
#[test]
fn three_agents_answer_and_ops_collect_the_tally_now_and_later() {
    let server = NatsServer::start();
    let desktop = Desktop::start();
    let mut alice = agent_on_dunst(&server, &desktop, "alice");
    let mut bob = Agent::start_with(&server.url(), "bob", &["--output", "terminal"]);
    let bob_dir = bob.state_dir().expect("the harness's state dir").to_owned();
    let hooks = tempfile::tempdir().unwrap();
    let hook = script(hooks.path(), "cat > /dev/null; echo 2");
    let _carol = Agent::start_with(&server.url(), "carol", &["--exec", hook.to_str().unwrap()]);

    let asking = publisher_meanwhile(
        &server,
        &[
            "send",
            "--id",
            "ask1",
            "--session",
            "alice",
            "--session",
            "bob",
            "--session",
            "carol",
            "--answer",
            "Restart now",
            "--answer",
            "In 1 hour",
            "--wait",
            "20s",
            "--json",
            QUESTION,
        ],
    );
    let id = notification_id(&mut alice);
    desktop.wait_displayed(1);
    desktop.choose_action("answer-1");
    alice.wait_event_where("answer_clicked", |r| r["notification"] == id);

    let block = bob.next_block();
    assert!(block.contains(&"» 1. Restart now".to_owned()), "{block:?}");
    let said = expect_exit(
        &act(
            &server,
            "answer",
            &bob_dir,
            "bob",
            &["ask1-bob", "restart now"],
        ),
        0,
    );
    println!("bob's terminal: {said}");

    let report = json(&expect_exit(&asking.join().expect("publisher thread"), 0));
    println!("send --answer --wait --json: {report}");
    let tally = &report["tally"];
    assert_eq!(tally["answered"], 3, "{report}");
    assert_eq!(
        tally["answers"],
        json!([{"label": "Restart now", "count": 2}, {"label": "In 1 hour", "count": 1}]),
        "{report}"
    );
    assert_eq!(tally["not_answered"], json!([]), "{report}");

    let later = status_once(&server, "ask1", |r| {
        r["answered"] == 3 && r["delivered"] == 3
    });
    println!("publisher status ask1 --json: {later}");
    assert_eq!(later["answered"], 3, "{later}");
    for (who, answer, via) in [
        ("alice", "Restart now", "desktop"),
        ("bob", "Restart now", "terminal"),
        ("carol", "In 1 hour", "exec"),
    ] {
        let entry = session(&later, who);
        assert_eq!(entry["answered"]["answer"], answer, "{entry}");
        assert_eq!(entry["answered"]["via"], via, "{entry}");
        assert!(entry["delivered"].is_object(), "{entry}");
    }
    let text = expect_exit(&publisher(&server.url(), &["status", "ask1"]), 0);
    println!("publisher status ask1:\n{text}");
    assert!(
        text.contains(r#"answers: "Restart now" 2, "In 1 hour" 1"#),
        "{text}"
    );
}

/// Ops send alice and dave a message, dave's agent being stopped; alice's
/// notification is on dunst. `publisher recall --wait` closes it (dunst
/// moves it to its history, the agent writes `recalled` with seen=true) and
/// deletes the stored copy, so dave, started again, never shows it: the
/// first thing he shows is a later marker. `publisher status` says alice
/// had seen it and dave never got it.
#[test]
fn recall_closes_the_notification_and_a_stopped_agent_never_shows_it() {
    let server = NatsServer::start();
    expect_exit(&publisher(&server.url(), &["setup"]), 0);
    let desktop = Desktop::start();
    let mut alice = agent_on_dunst(&server, &desktop, "alice");
    let dave_state = tempfile::tempdir().unwrap();
    let dave_args = [
        "--output",
        "terminal",
        "--state-dir",
        dave_state.path().to_str().unwrap(),
    ];
    let mut dave = Agent::start_with(&server.url(), "dave", &dave_args);
    dave.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(dave.wait_exit().code(), Some(0));

    let sent = publisher(
        &server.url(),
        &[
            "send",
            "--id",
            "r1",
            "--session",
            "alice",
            "--session",
            "dave",
            "--wait",
            "5s",
            "The restart is at 9pm tonight",
        ],
    );
    expect_exit(&sent, NOT_CONFIRMED); // dave is not connected
    let id = notification_id(&mut alice);
    desktop.wait_displayed(1);

    let recall = json(&expect_exit(
        &publisher(&server.url(), &["recall", "r1", "--wait=10s", "--json"]),
        0,
    ));
    println!("publisher recall r1 --wait --json: {recall}");
    assert_eq!(recall["deleted"], 2, "{recall}");
    alice.wait_event_where("notification_closed", |r| r["notification"] == id);
    let entry = desktop.wait_history_entry(id);
    assert_eq!(entry["body"]["data"], "The restart is at 9pm tonight");
    assert_eq!(desktop.dunstctl(&["count", "displayed"]).trim(), "0");

    let mut dave = Agent::start_with(&server.url(), "dave", &dave_args);
    expect_exit(
        &publisher(&server.url(), &["send", "--session", "dave", "marker"]),
        0,
    );
    let block = dave.next_block().join("\n");
    assert!(
        block.contains("marker"),
        "dave showed something else first:\n{block}"
    );

    let report = status_once(&server, "r1", |r| {
        r["sessions"]
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["recalled"]["seen"] == true))
    });
    println!("publisher status r1 --json: {report}");
    let alice_row = session(&report, "alice");
    assert_eq!(alice_row["recalled"]["seen"], true, "{report}");
    assert!(alice_row["delivered"].is_object(), "{report}");
    assert!(session(&report, "dave")["delivered"].is_null(), "{report}");
    assert_eq!(report["not_delivered"], json!(["dave"]), "{report}");
}

/// Ops send alice a message with `--remind 2s`. Her dunst notification comes
/// back (the agent's `reminded` event, the notification replaced) until she
/// clicks OK; after that it never comes back: a second message reminding
/// every second is reminded three times with no reminder of the first in
/// between, though the first's next one was due before.
#[test]
fn remind_brings_the_notification_back_until_ok() {
    let server = NatsServer::start();
    let desktop = Desktop::start();
    let mut alice = agent_on_dunst(&server, &desktop, "alice");
    let send = |id: &str, every: &str, text: &str| {
        expect_exit(
            &publisher(
                &server.url(),
                &[
                    "send",
                    "--id",
                    id,
                    "--session",
                    "alice",
                    "--remind",
                    every,
                    "--no-wait",
                    text,
                ],
            ),
            0,
        )
    };
    send("m1", "2s", "Please restart your computer");
    let first = notification_id(&mut alice);
    for n in [1, 2] {
        alice.wait_event_where("reminded", |r| {
            r["message_id"] == "m1-alice" && r["reminder"] == n
        });
    }
    desktop.wait_displayed(1);
    desktop.dunstctl(&["action", "0"]);
    alice.wait_event("acknowledged");
    let reminded_before_ok = alice.events("reminded").len();

    send("m2", "1s", "Second notice");
    for n in [1, 2, 3] {
        alice.wait_event_where("reminded", |r| {
            r["message_id"] == "m2-alice" && r["reminder"] == n
        });
    }
    let after: Vec<Value> = alice.events("reminded")[reminded_before_ok..].to_vec();
    assert!(
        after.iter().all(|r| r["message_id"] == "m2-alice"),
        "m1 was reminded after OK: {after:?}"
    );
    assert!(first > 0);
}
