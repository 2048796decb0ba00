//! Answers on the desktop: a message that asks something shows its answers
//! as buttons on a real notification daemon (dunst, see the parent
//! module), and a click on one reaches the agent with that answer.

use super::{agent_on_dunst, notification_id};
use e2e::desktop::{Desktop, Received};
use e2e::{NatsServer, RawClient};
use remote_message::{Answers, Envelope, MessageId};

const QUESTION: &str = "The server needs a restart. When may it go?";

/// Ops ask alice a question with two answers, "Restart now" and "In 1
/// hour" (a raw client publishes the envelope with its answers). Her agent
/// (`--output desktop`) puts it on dunst with one action per answer, keyed
/// `answer-1` and `answer-2` and labelled as offered, beside OK and the
/// click on it, and with no expiry (it stays until acted on). The user
/// picks "In 1 hour" from dunst's menu: the agent logs `answer_clicked`
/// once, with that label and the message id, and takes the notification
/// down (dunst moves it to its history).
#[test]
fn a_click_on_an_answer_reaches_the_agent_and_ends_the_notification() {
    let server = NatsServer::start();
    let desktop = Desktop::start();
    let mut agent = agent_on_dunst(&server, &desktop, "alice");

    let question = Envelope::with_id(
        MessageId::new("ask-1"),
        QUESTION.into(),
        Some("Restart".into()),
        Some("ops@srv1".into()),
    )
    .expect("a valid message")
    .with_answers(Answers::parse(&["Restart now", "In 1 hour"]).expect("valid answers"));
    RawClient::connect(server.port()).publish("session.alice", &question.to_payload());

    let id = notification_id(&mut agent);
    assert_eq!(
        desktop.wait_received(id),
        Received {
            app_name: "remote-message".into(),
            summary: "Restart".into(),
            body: QUESTION.into(),
            urgency: "NORMAL".into(),
            timeout: "0".into(),
        }
    );
    desktop.wait_displayed(1);

    let mut menu = desktop.choose_action("answer-2");
    menu.sort();
    println!("dunst's menu: {menu:#?}");
    let action = |label: &str, key: &str| format!("#{label} (Restart) [{id},{key}]");
    assert_eq!(
        menu,
        [
            action("In 1 hour", "answer-2"),
            action("Mark as read", "default"),
            action("OK", "read"),
            action("Restart now", "answer-1"),
        ]
    );

    let answered = agent.wait_event_where("answer_clicked", |r| r["notification"] == id);
    assert_eq!(answered["answer"], "In 1 hour", "{answered}");
    assert_eq!(answered["message_id"], "ask-1", "{answered}");
    let entry = desktop.wait_history_entry(id);
    assert_eq!(entry["summary"]["data"], "Restart");
    assert_eq!(desktop.dunstctl(&["count", "displayed"]).trim(), "0");
    // One answer, and no read on top of it.
    assert_eq!(agent.events("answer_clicked").len(), 1);
    assert!(agent.events("acknowledged").is_empty());
}
