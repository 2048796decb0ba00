//! What a send reports: the typed [`Report`] (its JSON is `send --json`'s
//! output, field for field), put together from the plan and what dispatch
//! found, and whether it ends the process with "not confirmed".

use super::plan::{Plan, Wait};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::reads::Reads;
use crate::tally::Tally;
use remote_message::sessions::ShownVia;
use remote_message::{MessageId, SessionId, Target};
use serde::Serialize;
use std::collections::BTreeMap;

/// What became of one target of a send that waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The agent confirmed it showed the message.
    Delivered,
    /// Nobody holds that session id (NATS no-responders, known at once).
    NotConnected,
    /// Someone holds it, but no receipt came within the wait.
    NoConfirmation,
}

/// One message on the wire.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub id: MessageId,
    pub subject: String,
    /// For a session send that waits: what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// For a session send that waits: whether the user acknowledged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    /// For a delivered session message: how the agent showed it, when its
    /// receipt says (agents that predate `shown` do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<Vec<ShownVia>>,
}

/// What `send` reports, as text or `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Id of this send; the message id itself for a broadcast.
    pub id: String,
    pub subjects: Vec<String>,
    pub messages: Vec<Sent>,
    /// Whether the stream stored (and acknowledged) every message.
    pub stored: bool,
    /// Whether the stream had seen this id already (a repeated send).
    pub duplicate: bool,
    /// Whether receipts were awaited.
    pub waited: bool,
    /// Sessions a receipt was expected from.
    pub expected: usize,
    /// Of those, how many confirmed.
    pub delivered: usize,
    /// Expected sessions that did not confirm.
    pub missing: Vec<SessionId>,
    /// Of the missing, those nobody holds.
    pub not_connected: Vec<SessionId>,
    /// Broadcast only: sessions that confirmed but were not listed before
    /// the send (they joined meanwhile).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_delivered: Vec<SessionId>,
    /// Expected sessions whose user acknowledged the message (clicked OK).
    pub read: Vec<SessionId>,
    /// Delivered sessions whose display cannot report read.
    pub read_unsupported: Vec<SessionId>,
    /// How the send waited, for the text rendering (not part of the JSON).
    #[serde(skip)]
    pub wait: Option<Wait>,
    /// `--answer … --wait`: who answered what, and who did not (the
    /// answers only: delivered and read are the receipts' above).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::tally::serialize_answers"
    )]
    pub tally: Option<Tally>,
}

/// How publishing went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Published {
    /// The stream stored and acknowledged every message.
    pub stored: bool,
    /// The stream had seen some message id already.
    pub duplicate: bool,
}

/// What receipt collection found.
#[derive(Debug, Default)]
pub struct Collected {
    /// Each expected session's outcome.
    pub outcomes: BTreeMap<SessionId, Outcome>,
    /// Sessions that confirmed without being expected.
    pub unexpected: Vec<SessionId>,
    pub reads: Reads,
    /// How each delivered session showed the message, where it said.
    pub shown: BTreeMap<SessionId, Vec<ShownVia>>,
}

impl Report {
    /// The report of `plan`, published as `published`, with what receipt
    /// collection found (empty when the send did not wait).
    pub fn assemble(plan: &Plan, published: Published, collected: Collected) -> Report {
        let Collected {
            outcomes,
            unexpected,
            reads,
            shown,
        } = collected;
        let mut missing = Vec::new();
        let mut not_connected = Vec::new();
        let mut delivered = 0;
        for (session, outcome) in &outcomes {
            match outcome {
                Outcome::Delivered => delivered += 1,
                Outcome::NotConnected => {
                    not_connected.push(session.clone());
                    missing.push(session.clone());
                }
                Outcome::NoConfirmation => missing.push(session.clone()),
            }
        }
        let messages = plan
            .messages
            .iter()
            .map(|m| Sent {
                id: m.id.clone(),
                subject: m.target.subject(),
                outcome: match &m.target {
                    Target::Session(id) => outcomes.get(id).copied(),
                    Target::Broadcast => None,
                },
                read: match &m.target {
                    Target::Session(id) if outcomes.contains_key(id) => Some(reads.is_read(id)),
                    _ => None,
                },
                shown: match &m.target {
                    Target::Session(id) => shown.get(id).cloned(),
                    Target::Broadcast => None,
                },
            })
            .collect();
        Report {
            id: plan.id.to_string(),
            subjects: plan.messages.iter().map(|m| m.target.subject()).collect(),
            messages,
            stored: published.stored,
            duplicate: published.duplicate,
            waited: plan.wait.is_some(),
            expected: plan.expected.len(),
            delivered,
            missing,
            not_connected,
            also_delivered: unexpected,
            read: reads.read(),
            read_unsupported: reads.unsupported(
                outcomes
                    .iter()
                    .filter(|(_, outcome)| **outcome == Outcome::Delivered)
                    .map(|(session, _)| session),
            ),
            wait: plan.wait,
            tally: None,
        }
    }

    /// Success when every expected session confirmed; else a
    /// [`ErrorKind::NotConfirmed`] error naming the missing.
    pub fn confirmed(&self) -> Result<(), Error> {
        if self.missing.is_empty() {
            return Ok(());
        }
        Err(Error::with_context(
            ErrorKind::NotConfirmed,
            tr!(
                errors(),
                "not-confirmed",
                missing = self.missing.len(),
                expected = self.expected,
                sessions = join(&self.missing)
            ),
        ))
    }
}

/// Session ids as `a, b, c`.
pub(crate) fn join(ids: &[SessionId]) -> String {
    ids.iter()
        .map(SessionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::plan::{plan, Lookups, Request, WaitPolicy};
    use remote_message::sessions::Receipt;

    fn id(s: &str) -> SessionId {
        s.parse().unwrap()
    }

    fn session_plan(sessions: &[&str]) -> Plan {
        let request = Request {
            text: "hello".into(),
            title: None,
            sender: "ops@host".into(),
            priority: None,
            ttl: None,
            id: remote_message::SendId::parse("s").unwrap(),
            sessions: sessions.iter().map(|s| id(s)).collect(),
            users: Vec::new(),
            filter: remote_message::sessions::Where::default(),
            seal: false,
            sign_key: None,
            wait: WaitPolicy::Default,
            asks: Default::default(),
        };
        let lookups = Lookups {
            live: Vec::new(),
            max_payload: 1 << 20,
            receipt_inbox: "_INBOX.r".into(),
        };
        plan(&request, lookups).unwrap()
    }

    /// Three session targets: one delivered on a desktop and read, one not
    /// connected, one silent. The counts, the per-message outcomes and the
    /// JSON keys are those `send --json` has always printed, plus `shown`
    /// on the delivered message only, and the send is not confirmed.
    #[test]
    fn outcomes_are_counted_and_reported_per_message() {
        let plan = session_plan(&["a", "b", "c"]);
        let mut reads = Reads::default();
        reads.record(&Receipt::read(&"s-a".into(), &id("a")));
        let collected = Collected {
            outcomes: BTreeMap::from([
                (id("a"), Outcome::Delivered),
                (id("b"), Outcome::NotConnected),
                (id("c"), Outcome::NoConfirmation),
            ]),
            unexpected: Vec::new(),
            reads,
            shown: BTreeMap::from([(id("a"), vec![ShownVia::Desktop])]),
        };
        let published = Published {
            stored: true,
            duplicate: false,
        };
        let report = Report::assemble(&plan, published, collected);
        assert_eq!(report.delivered, 1);
        assert_eq!(report.missing, [id("b"), id("c")]);
        assert_eq!(report.not_connected, [id("b")]);
        assert_eq!(report.read, [id("a")]);
        assert_eq!(report.messages[0].read, Some(true));
        assert_eq!(report.messages[1].outcome, Some(Outcome::NotConnected));
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(
            json,
            r#"{"id":"s","subjects":["session.a","session.b","session.c"],"messages":[{"id":"s-a","subject":"session.a","outcome":"delivered","read":true,"shown":["desktop"]},{"id":"s-b","subject":"session.b","outcome":"not_connected","read":false},{"id":"s-c","subject":"session.c","outcome":"no_confirmation","read":false}],"stored":true,"duplicate":false,"waited":true,"expected":3,"delivered":1,"missing":["b","c"],"not_connected":["b"],"read":["a"],"read_unsupported":[]}"#
        );
        assert_eq!(
            report.confirmed().unwrap_err().kind(),
            ErrorKind::NotConfirmed
        );
    }

    /// The "did not confirm" error counts through each language's plural
    /// rules, the counts passed as numbers: French says one session
    /// "n'a pas confirmé", two "n'ont pas confirmé".
    #[test]
    fn not_confirmed_agrees_with_the_count() {
        use remote_message_cli::lang::{errors_in, Lang};
        let silent = |sessions: &[&str]| {
            let outcomes = sessions
                .iter()
                .map(|s| (id(s), Outcome::NoConfirmation))
                .collect();
            let collected = Collected {
                outcomes,
                ..Collected::default()
            };
            Report::assemble(&session_plan(sessions), Published::default(), collected)
        };
        let message =
            |lang, report: &Report| errors_in(lang, || report.confirmed().unwrap_err().to_string());
        let (one, two) = (silent(&["a"]), silent(&["a", "b"]));
        assert_eq!(
            message(Lang::Fr, &one),
            "1 session sur 1 n'a pas confirmé : a"
        );
        assert_eq!(
            message(Lang::Fr, &two),
            "2 sessions sur 2 n'ont pas confirmé : a, b"
        );
        assert_eq!(message(Lang::Es, &one), "1 de 1 sesión no confirmó: a");
        assert_eq!(
            message(Lang::En, &two),
            "2 of 2 sessions did not confirm: a, b"
        );
    }

    /// A send that did not wait reports no outcomes and is confirmed.
    #[test]
    fn a_send_without_wait_is_confirmed() {
        let mut plan = session_plan(&["a"]);
        plan.wait = None;
        plan.expected.clear();
        let report = Report::assemble(&plan, Published::default(), Collected::default());
        assert_eq!((report.waited, report.expected), (false, 0));
        assert_eq!(report.messages[0].outcome, None);
        assert!(report.confirmed().is_ok());
    }
}
