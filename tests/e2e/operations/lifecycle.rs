//! The lifecycle of a send as ops see it, in per-session identity mode:
//! `send --answer … --wait` and its tally, `publisher status` (from a new
//! process, text and `--json`, an unknown id), and `publisher recall`.
//! The agents' ledger rows are published by a raw async-nats client
//! holding that agent's own creds, as its agent would (the broker binds
//! the row's subject to the creds); real agents deliver where a receipt
//! is needed.

use crate::security::identity::{agent, connect, Conn};
use crate::security::next_within;
use async_nats::jetstream::{self, consumer};
use e2e::identity::Identity;
use e2e::{expect_exit, WAIT};
use futures::StreamExt;
use serde_json::{json, Value};

impl Conn {
    /// Publishes ledger row `event` of `send` as session `session` on
    /// `ledger.<send>.<subject_session>`, flushed.
    async fn row(&self, send: &str, subject_session: &str, session: &str, event: Value) {
        let mut row = json!({
            "id": send,
            "session": session,
            "at": "2026-12-07T10:00:05Z",
        });
        row.as_object_mut()
            .unwrap()
            .extend(event.as_object().unwrap().clone());
        self.client
            .publish(
                format!("ledger.{send}.{subject_session}"),
                row.to_string().into(),
            )
            .await
            .unwrap();
        self.client.flush().await.unwrap();
    }
}

/// Waits until the ledger stored `count` rows of `send` (read through an
/// ordered consumer, bounded): then a new process reads them all.
async fn ledger_holds(ops: &Conn, send: &str, count: usize) {
    let js = jetstream::new(ops.client.clone());
    let stream = js.get_stream("REMOTE_MESSAGE_LEDGER").await.unwrap();
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: format!("ledger.{send}.*"),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut rows = consumer.messages().await.unwrap();
    for n in 0..count {
        tokio::time::timeout(WAIT, rows.next())
            .await
            .unwrap_or_else(|_| panic!("the ledger holds {n} of {count} rows of {send}"))
            .expect("rows")
            .expect("a row");
    }
}

/// Runs `publisher --creds <ops> <words> [<text>]` off the runtime (it
/// may wait for what the test publishes meanwhile); `words` split on spaces.
async fn ops_publisher(
    identity: &Identity,
    words: &str,
    text: Option<&str>,
) -> std::process::Output {
    let mut all = vec![
        "--creds".to_owned(),
        identity.ops_creds().to_str().unwrap().to_owned(),
    ];
    all.extend(words.split(' ').map(str::to_owned));
    all.extend(text.map(str::to_owned));
    let url = identity.url();
    tokio::task::spawn_blocking(move || {
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        e2e::publisher(&url, &all)
    })
    .await
    .unwrap()
}

/// The send id of a message session `session` received (`<send>-<session>`),
/// and the message as JSON.
fn received(message: &async_nats::Message, session: &str) -> (String, Value) {
    let json: Value = serde_json::from_slice(&message.payload).unwrap();
    let id = json["id"].as_str().unwrap();
    let send = id.strip_suffix(&format!("-{session}")).unwrap().to_owned();
    (send, json)
}

/// A send's JSON report's id.
fn send_id(stdout: &str) -> String {
    let report: Value = serde_json::from_str(stdout).expect("one JSON object");
    report["id"].as_str().expect("an id").to_owned()
}

/// Ops ask alice, bob and carol "Restart now?" (Yes/No, nobody online).
/// Alice's agent writes delivered and "Yes"; bob's only delivered; alice
/// also tries to answer for bob (`ledger.<send>.bob`) and to forge a send
/// record (`sends.x.sent`): the broker refuses both. `publisher status`,
/// run later as a new process, shows alice's answer, the counts, and that
/// bob and carol have not answered; `--json` says the same, and bob has
/// no answer.
#[tokio::test]
async fn status_from_a_new_process_shows_answers_and_who_has_not() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let mut alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    let words = "send --session alice --session bob --session carol --answer Yes --answer No \
                 --no-wait --json";
    let sent = ops_publisher(&identity, words, Some("Restart now?")).await;
    let send = send_id(&expect_exit(&sent, 0));

    alice
        .row(
            &send,
            "alice",
            "alice",
            json!({"event": "delivered", "shown": ["terminal"]}),
        )
        .await;
    alice
        .row(
            &send,
            "alice",
            "alice",
            json!({"event": "answered", "answer": "Yes", "via": "terminal"}),
        )
        .await;
    bob.row(&send, "bob", "bob", json!({"event": "delivered"}))
        .await;
    let forged = json!({"event": "answered", "answer": "No", "via": "terminal"});
    alice.row(&send, "bob", "bob", forged).await;
    alice
        .violation("Publish", &format!("ledger.{send}.bob"))
        .await;
    alice
        .client
        .publish("sends.x.sent", "{}".into())
        .await
        .unwrap();
    alice.violation("Publish", "sends.x.sent").await;
    ledger_holds(&ops, &send, 3).await;

    let text = expect_exit(
        &ops_publisher(&identity, &format!("status {send}"), None).await,
        0,
    );
    assert!(text.contains(&format!("send {send}, sent at ")), "{text}");
    assert!(
        text.contains("answers offered: \"Yes\", \"No\"\n"),
        "{text}"
    );
    assert!(
        text.contains("alice: delivered at 2026-12-07T10:00:05Z (terminal), answered \"Yes\" at 2026-12-07T10:00:05Z\n"),
        "{text}"
    );
    assert!(
        text.contains("bob: delivered at 2026-12-07T10:00:05Z\n"),
        "{text}"
    );
    assert!(text.contains("carol: nothing yet\n"), "{text}");
    assert!(text.contains("answers: \"Yes\" 1, \"No\" 0\n"), "{text}");
    assert!(
        text.contains("delivered to 2 of 3; not yet: carol\n"),
        "{text}"
    );
    assert!(
        text.contains("answered by 1 of 3; not yet: bob, carol\n"),
        "{text}"
    );

    let json = expect_exit(
        &ops_publisher(&identity, &format!("status {send} --json"), None).await,
        0,
    );
    let status: Value = serde_json::from_str(&json).expect("one JSON object");
    assert_eq!(status["send"], json!(send));
    assert_eq!(status["record"]["answers"], json!(["Yes", "No"]));
    assert_eq!(
        status["answers"],
        json!([{"label":"Yes","count":1},{"label":"No","count":0}])
    );
    assert_eq!(status["not_answered"], json!(["bob", "carol"]));
    assert_eq!(status["targets"], json!(3));
    let bob_state = &status["sessions"][1];
    assert_eq!(bob_state["session"], json!("bob"));
    assert!(bob_state.get("answered").is_none(), "{bob_state}");
}

/// Real agents alice and bob are asked (Yes/No) with `--wait 20s`; alice
/// answers "Yes", bob first "Maybe" (not offered), then "No". The send
/// ends as soon as both answered, exit 0, and prints the tally: one each,
/// bob's "Maybe" reported as not offered and not counted; `--json` has it
/// under `tally`.
#[tokio::test]
async fn send_answer_wait_prints_the_tally() {
    let identity = Identity::start();
    identity.setup_stream();
    let alice_creds = identity.agent_creds("alice", None);
    let bob_creds = identity.agent_creds("bob", None);
    let _alice_agent = identity.agent(&alice_creds, &[]);
    let _bob_agent = identity.agent(&bob_creds, &[]);
    let alice = agent(&identity, &alice_creds, "alice").await;
    let bob = agent(&identity, &bob_creds, "bob").await;
    let mut alice_sees = alice.client.subscribe("session.alice").await.unwrap();
    let mut bob_sees = bob.client.subscribe("session.bob").await.unwrap();
    alice.client.flush().await.unwrap();
    bob.client.flush().await.unwrap();

    let words = "send --session alice --session bob --answer Yes --answer No --wait 20s --json";
    let sending = ops_publisher(&identity, words, Some("Restart now?"));
    let answering = async {
        let message = next_within(&mut alice_sees, "alice's message").await;
        let (send, id) = received(&message, "alice");
        assert_eq!(id["answers"], json!(["Yes", "No"]));
        next_within(&mut bob_sees, "bob's message").await;
        alice
            .row(
                &send,
                "alice",
                "alice",
                json!({"event": "answered", "answer": "Yes", "via": "desktop"}),
            )
            .await;
        bob.row(
            &send,
            "bob",
            "bob",
            json!({"event": "answered", "answer": "Maybe"}),
        )
        .await;
        bob.row(
            &send,
            "bob",
            "bob",
            json!({"event": "answered", "answer": "No", "via": "exec"}),
        )
        .await;
    };
    let (sent, ()) = tokio::join!(sending, answering);
    let report: Value = serde_json::from_str(&expect_exit(&sent, 0)).unwrap();
    let tally = &report["tally"];
    assert_eq!(
        tally["answers"],
        json!([{"label":"Yes","count":1},{"label":"No","count":1}])
    );
    assert_eq!(tally["not_answered"], json!([]));
    assert_eq!(tally["invalid"], json!(["bob"]));
    assert_eq!(
        tally["sessions"][1]["invalid_answers"][0]["answer"],
        json!("Maybe")
    );
    assert_eq!(
        report["delivered"],
        json!(2),
        "receipts still reported: {report}"
    );

    // The same as text, from a fresh send to alice alone.
    let words = "send --session alice --answer Yes --answer No --wait 20s";
    let sending = ops_publisher(&identity, words, Some("Again?"));
    let answering = async {
        let message = next_within(&mut alice_sees, "alice's second message").await;
        let (send, _) = received(&message, "alice");
        alice
            .row(
                &send,
                "alice",
                "alice",
                json!({"event": "answered", "answer": "No"}),
            )
            .await;
    };
    let (sent, ()) = tokio::join!(sending, answering);
    let text = expect_exit(&sent, 0);
    assert!(text.contains("alice: "), "{text}");
    assert!(
        text.contains("answered \"No\" at 2026-12-07T10:00:05Z"),
        "{text}"
    );
    assert!(text.contains("answers: \"Yes\" 0, \"No\" 1\n"), "{text}");
    assert!(text.ends_with("answered by 1 of 1\n"), "{text}");
}

/// `publisher status` of a send id the ledger never heard of exits 7
/// (`unknown_send`), saying so; `--json` prints the error object.
#[tokio::test]
async fn status_of_an_unknown_send_exits_7() {
    let identity = Identity::start();
    identity.setup_stream();
    let out = ops_publisher(&identity, "status nosuchsend", None).await;
    expect_exit(&out, 7);
    let stderr = e2e::stderr(&out);
    assert!(
        stderr.contains("no record of send nosuchsend in the ledger"),
        "{stderr}"
    );
    let out = ops_publisher(&identity, "status nosuchsend --json", None).await;
    let error: Value = serde_json::from_str(&expect_exit(&out, 7)).unwrap();
    assert_eq!(error["error"]["kind"], json!("unknown_send"));
    assert_eq!(error["error"]["exit_code"], json!(7));
}

/// Bob is offline when ops send him a message: it is stored. `publisher
/// recall` deletes it from the stream (a stream read finds no copy),
/// publishes the recall order on `broadcast` (alice's agent connection
/// hears it, naming the send), and records the recall; `recall --wait`
/// reports alice's `recalled` row and names bob as silent; `status` then
/// says recalled.
#[tokio::test]
async fn recall_deletes_stored_copies_and_orders_it_taken_down() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let mut broadcast = alice.client.subscribe("broadcast").await.unwrap();
    alice.client.flush().await.unwrap();
    let words = "send --session bob --session alice --no-wait --json";
    let sent = ops_publisher(&identity, words, Some("wrong text")).await;
    let send = send_id(&expect_exit(&sent, 0));
    let js = jetstream::new(ops.client.clone());
    let stream = js.get_stream("REMOTE_MESSAGES").await.unwrap();
    let stored = stream.get_last_raw_message_by_subject("session.bob").await;
    assert!(stored.is_ok(), "bob's copy is stored before the recall");

    let words = format!("recall {send} --wait 5s --json");
    let recalling = ops_publisher(&identity, &words, None);
    let answering = async {
        let order = next_within(&mut broadcast, "the recall order").await;
        let order: Value = serde_json::from_slice(&order.payload).unwrap();
        assert_eq!(order["recall"], json!(send));
        assert_eq!(order["id"], json!(format!("{send}-recall")));
        assert!(order.get("text").is_none(), "{order}");
        alice
            .row(
                &send,
                "alice",
                "alice",
                json!({"event": "recalled", "seen": true}),
            )
            .await;
    };
    let (recalled, ()) = tokio::join!(recalling, answering);
    let report: Value = serde_json::from_str(&expect_exit(&recalled, 0)).unwrap();
    assert_eq!(report["deleted"], json!(2), "{report}");
    assert_eq!(report["recorded"], json!(true));
    assert_eq!(report["sessions"][0]["session"], json!("alice"));
    assert_eq!(report["sessions"][0]["recalled"]["seen"], json!(true));
    assert_eq!(report["no_row"], json!(["bob"]));

    for subject in ["session.bob", "session.alice"] {
        let left = stream.get_last_raw_message_by_subject(subject).await;
        assert!(left.is_err(), "{subject}: a copy is left after the recall");
    }
    let text = expect_exit(
        &ops_publisher(&identity, &format!("status {send}"), None).await,
        0,
    );
    assert!(text.contains("\nrecalled at "), "{text}");
    assert!(
        text.contains("alice: recalled at 2026-12-07T10:00:05Z (it had been shown)\n"),
        "{text}"
    );
}

/// `status --follow`, started as its own process while alice has not
/// answered yet, ends by itself once every target answered (well before
/// its `--timeout`), having printed alice's answer and the totals; whether
/// the row came before it caught up or after, it is counted once.
#[tokio::test]
async fn status_follow_ends_once_every_target_answered() {
    let identity = Identity::start();
    identity.setup_stream();
    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let words = "send --session alice --answer Yes --answer No --no-wait --json";
    let sent = ops_publisher(&identity, words, Some("Lunch?")).await;
    let send = send_id(&expect_exit(&sent, 0));

    let words = format!("status {send} --follow --timeout 60s");
    let following = ops_publisher(&identity, &words, None);
    let answer = json!({"event": "answered", "answer": "Yes", "via": "terminal"});
    let answering = alice.row(&send, "alice", "alice", answer);
    let started = std::time::Instant::now();
    let (followed, ()) = tokio::join!(following, answering);
    let text = expect_exit(&followed, 0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{text}"
    );
    assert!(
        text.contains("alice: answered \"Yes\" at 2026-12-07T10:00:05Z\n"),
        "{text}"
    );
    assert!(text.ends_with("answered by 1 of 1\n"), "{text}");
    assert_eq!(
        text.matches("answers: \"Yes\" 1, \"No\" 0\n").count(),
        1,
        "{text}"
    );
}
