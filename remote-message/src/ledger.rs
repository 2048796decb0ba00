//! The ledger: what became of every message at every session, kept for
//! weeks in a JetStream stream of its own, so that `publisher status` can
//! say hours later, from any ops machine, who got, read or answered a send,
//! and who did not.
//!
//! Each agent writes its own rows, on `ledger.<send id>.<session id>`: with
//! per-session identity the broker lets an agent publish only under its own
//! id, so no agent can answer or acknowledge for another, and readers take
//! the session from the subject, never the payload. Ops write what they
//! did: `sends.<send id>.sent` (the message and its targets) and
//! `sends.<send id>.recalled`. Only ops can read any of it.

use crate::answer::Answers;
use crate::envelope::MSG_ID_HEADER;
use crate::send_id::{MessageId, SendId};
use crate::session_id::SessionId;
use crate::sessions::{known_ways, ShownVia};
use crate::stream::{self, StreamError};
use crate::user_name::UserName;
use async_nats::jetstream::stream::{Config, DiscardPolicy, StorageType, Stream};
use async_nats::jetstream::Context;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Name of the ledger's stream.
pub const STREAM_NAME: &str = "REMOTE_MESSAGE_LEDGER";

/// How long the ledger keeps a send when `--ledger-retention` is not given.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Size bound of the ledger: 1 GiB, the oldest dropped first.
pub const DEFAULT_MAX_BYTES: i64 = 1 << 30;

/// Largest row the ledger stores: a row is a few hundred bytes, a send
/// record holds its text and targets; an agent's flood of big rows is refused.
pub const MAX_EVENT_BYTES: i32 = 4 * 1024;

/// Largest ops record (a send's text and up to thousands of targets).
pub const MAX_RECORD_BYTES: i32 = 1024 * 1024;

/// Prefix of the agents' rows: `ledger.<send id>.<session id>`.
pub const EVENT_PREFIX: &str = "ledger.";

/// Prefix of the ops' records: `sends.<send id>.sent|recalled`.
pub const SENDS_PREFIX: &str = "sends.";

/// The ledger stream's settings that ops choose with `publisher setup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerSettings {
    pub retention: Duration,
    pub replicas: usize,
    pub max_bytes: i64,
}

impl Default for LedgerSettings {
    fn default() -> Self {
        LedgerSettings {
            retention: DEFAULT_RETENTION,
            replicas: 1,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl LedgerSettings {
    /// The full stream configuration.
    pub fn config(&self) -> Config {
        Config {
            name: STREAM_NAME.to_owned(),
            description: Some(
                "remote-message: what became of every message at every session".into(),
            ),
            subjects: vec![format!("{EVENT_PREFIX}*.*"), format!("{SENDS_PREFIX}*.*")],
            max_age: self.retention,
            max_bytes: self.max_bytes,
            max_message_size: MAX_RECORD_BYTES,
            num_replicas: self.replicas,
            storage: StorageType::File,
            discard: DiscardPolicy::Old,
            duplicate_window: stream::DUPLICATE_WINDOW,
            // `publisher status` reads a send's record by subject.
            allow_direct: true,
            ..Default::default()
        }
    }
}

/// The ledger stream, created with default settings if missing.
pub async fn get_or_create(js: &Context) -> Result<Stream, StreamError> {
    stream::get_or_create_with(js, LedgerSettings::default().config()).await
}

/// The ledger stream, or `None` when it was never created.
pub async fn get(js: &Context) -> Result<Option<Stream>, StreamError> {
    stream::get_named(js, STREAM_NAME).await
}

/// Creates the ledger stream or updates it to `settings`; idempotent.
pub async fn create_or_update(js: &Context, settings: &LedgerSettings) -> Result<(), StreamError> {
    stream::create_or_update_with(js, settings.config()).await
}

/// Where session `session` writes what became of send `send`'s message.
pub fn event_subject(send: &SendId, session: &SessionId) -> String {
    format!("{EVENT_PREFIX}{send}.{session}")
}

/// All the sessions' rows of send `send`.
pub fn events_filter(send: &SendId) -> String {
    format!("{EVENT_PREFIX}{send}.*")
}

/// Every agent's rows, of every send (what ops watch live).
pub const ALL_EVENTS: &str = "ledger.*.*";

/// The session a row on `subject` is about: `ledger.<send>.<session>` with
/// `<send>` the expected send; `None` for anything else.
pub fn event_sender(send: &SendId, subject: &str) -> Option<SessionId> {
    let rest = subject.strip_prefix(EVENT_PREFIX)?;
    let session = rest.strip_prefix(send.as_str())?.strip_prefix('.')?;
    SessionId::parse(session).ok()
}

/// The `Nats-Msg-Id` of a row, so that a retried publish is stored once.
pub fn event_msg_id(id: &MessageId, step: Step, session: &SessionId) -> String {
    format!("{id}.{}.{session}", step.as_str())
}

/// The header name of [`event_msg_id`].
pub const EVENT_MSG_ID_HEADER: &str = MSG_ID_HEADER;

/// Where ops record a send.
pub fn sent_subject(send: &SendId) -> String {
    format!("{SENDS_PREFIX}{send}.sent")
}

/// Where ops record the recall of a send.
pub fn recalled_subject(send: &SendId) -> String {
    format!("{SENDS_PREFIX}{send}.recalled")
}

/// What happened to a message at one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Shown (or handed to the `--exec` program) the first time.
    Delivered,
    /// Acknowledged: OK clicked, or `subscriber read`.
    Read,
    /// One of its answers chosen.
    Answered,
    /// Taken down by a recall, or never shown because of one.
    Recalled,
    /// Its `expires_at` passed while it was unread and unanswered, or it
    /// expired before the agent could show it.
    Expired,
    /// A step a newer agent knows: kept, not counted.
    #[serde(other)]
    Unknown,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Delivered => "delivered",
            Step::Read => "read",
            Step::Answered => "answered",
            Step::Recalled => "recalled",
            Step::Expired => "expired",
            Step::Unknown => "unknown",
        }
    }
}

/// Where an answer was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnsweredVia {
    /// A button of a desktop notification.
    Desktop,
    /// `subscriber answer` on the user's machine.
    Terminal,
    /// The `--exec` program printed it.
    Exec,
    /// A way a newer agent knows.
    #[serde(other)]
    Other,
}

/// One row of the ledger, as an agent writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEvent {
    pub event: Step,
    /// The message id (a session send's is `<send id>-<session id>`).
    pub id: MessageId,
    /// The session that writes it: must equal the subject's last token.
    pub session: SessionId,
    pub at: Timestamp,
    /// On `delivered`: how it was shown, the display first.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "known_ways"
    )]
    pub shown: Vec<ShownVia>,
    /// On `delivered`: whether a `read` can follow (a display with OK).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ack: Option<bool>,
    /// On `answered`: the label chosen, as the message offered it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// On `answered`: where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<AnsweredVia>,
    /// On `recalled`: whether it had been shown before the recall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<bool>,
}

impl LedgerEvent {
    /// A row for `step`, stamped now; the step's own fields are set after.
    pub fn new(step: Step, id: MessageId, session: SessionId) -> LedgerEvent {
        LedgerEvent {
            event: step,
            id,
            session,
            at: Timestamp::now(),
            shown: Vec::new(),
            read_ack: None,
            answer: None,
            via: None,
            seen: None,
        }
    }

    pub fn to_payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a ledger row always serializes")
    }
}

/// The row a message on `subject` carries, for a reader of send `send`:
/// `None` unless the subject is `ledger.<send>.<id>` and the payload is a
/// row naming that same `<id>`.
pub fn event_from(send: &SendId, subject: &str, payload: &[u8]) -> Option<LedgerEvent> {
    let sender = event_sender(send, subject)?;
    let event: LedgerEvent = serde_json::from_slice(payload).ok()?;
    (event.session == sender).then_some(event)
}

/// Whom a send went to, as its record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SendTarget {
    /// `broadcast`: every session.
    Broadcast,
    /// One message per named session.
    Sessions,
}

/// A targeted session in a send record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targeted {
    pub session: SessionId,
    /// Its user, when the send knew it (`--user`, or a listing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserName>,
}

/// What ops sent, on `sends.<send id>.sent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRecord {
    pub send: SendId,
    pub sent_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    pub target: SendTarget,
    /// Session sends: the targets. A broadcast: the sessions listed when
    /// it was sent, when the send listed them; else absent (everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<Targeted>>,
}

/// A recall, on `sends.<send id>.recalled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallRecord {
    pub send: SendId,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send() -> SendId {
        SendId::parse("s1").unwrap()
    }

    /// The ledger keeps the agents' rows and ops' records for 30 days,
    /// bounded in size, rows read back by subject.
    #[test]
    fn the_ledger_stream_keeps_rows_and_records() {
        let config = LedgerSettings::default().config();
        assert_eq!(config.name, "REMOTE_MESSAGE_LEDGER");
        assert_eq!(config.subjects, ["ledger.*.*", "sends.*.*"]);
        assert_eq!(config.max_age, Duration::from_secs(30 * 86_400));
        assert_eq!(config.discard, DiscardPolicy::Old);
        assert!(config.allow_direct);
    }

    /// A row counts only for the session its subject names, and only on
    /// the send asked about.
    #[test]
    fn rows_are_read_from_the_subject() {
        let bob: SessionId = "bob".parse().unwrap();
        let mut row = LedgerEvent::new(Step::Answered, "s1-bob".into(), bob.clone());
        row.answer = Some("Yes".into());
        row.via = Some(AnsweredVia::Terminal);
        let payload = row.to_payload();
        let subject = event_subject(&send(), &bob);
        assert_eq!(subject, "ledger.s1.bob");
        assert_eq!(event_from(&send(), &subject, &payload), Some(row));
        assert_eq!(event_from(&send(), "ledger.s1.alice", &payload), None);
        assert_eq!(
            event_from(&SendId::parse("s2").unwrap(), &subject, &payload),
            None
        );
        assert_eq!(event_from(&send(), "ledger.s1x.bob", &payload), None);
        assert_eq!(event_from(&send(), "ledger.s1.bob.x", &payload), None);
    }

    /// Unknown steps, ways and fields from newer agents are read, not fatal.
    #[test]
    fn newer_rows_still_read() {
        let payload = br#"{"event":"snoozed","id":"s1","session":"bob","at":"2026-12-07T10:00:00Z","via":"watch","x":1,"shown":"no"}"#;
        let row = event_from(&send(), "ledger.s1.bob", payload).unwrap();
        assert_eq!(row.event, Step::Unknown);
        assert_eq!(row.via, Some(AnsweredVia::Other));
        assert!(row.shown.is_empty());
    }

    /// A send record round-trips, and one naming an invalid send id is refused.
    #[test]
    fn send_records_round_trip() {
        let record = SendRecord {
            send: send(),
            sent_at: "2026-12-07T10:00:00Z".parse().unwrap(),
            sender: Some("ops@srv1".into()),
            title: None,
            text: "May I restart now?".into(),
            answers: Answers::parse(&["Yes", "No"]).unwrap(),
            remind_every: None,
            expires_at: None,
            target: SendTarget::Sessions,
            sessions: Some(vec![Targeted {
                session: "bob".parse().unwrap(),
                user: UserName::parse("bob").ok(),
            }]),
        };
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<SendRecord>(&json).unwrap(), record);
        let bad = json.replace("\"send\":\"s1\"", "\"send\":\"s.1\"");
        assert!(serde_json::from_str::<SendRecord>(&bad).is_err());
    }
}
