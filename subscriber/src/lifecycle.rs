//! What a message becomes after it is shown: the ledger rows the agent
//! writes about it (`ledger.<send id>.<session id>`, under its own
//! identity), and the record it keeps in its state directory of the shown
//! messages that still wait for the user (they offer answers or remind)
//! and of the sends recalled. The running agent and the `subscriber answer`
//! / `subscriber read` commands share that record: the command marks a
//! message done, the agent stops reminding it.
//!
//! The record is `<state dir>/<session id>.lifecycle.json` (mode 0600),
//! rewritten whole (temp + rename) by whoever changes it, read again before
//! each change: a mark is never lost to an older copy in memory. It is
//! bounded: at most [`MAX_OPEN`] messages and [`MAX_RECALLED`] send ids, the
//! oldest dropped first.

use async_nats::header::HeaderMap;
use async_nats::Client;
use jiff::Timestamp;
use remote_message::ledger::{self, AnsweredVia, LedgerEvent, Step};
use remote_message::{Answers, Incoming, MessageId, Priority, SendId, SessionId, Target};
use remote_message_cli::files;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tracing::debug;

/// Most messages the record keeps waiting for the user.
pub const MAX_OPEN: usize = 256;

/// Most recalled send ids the record remembers.
pub const MAX_RECALLED: usize = 1024;

/// Publishes one ledger row about message `id` (which came on `target`)
/// for `session`: core publish on `ledger.<send>.<session>` with the
/// `Nats-Msg-Id` that stores a retried row once. A message whose id names
/// no send has no ledger: nothing is sent. Errors are logged, never fatal.
pub async fn publish_row(client: &Client, row: LedgerEvent, target: &Target) -> bool {
    let Some(send) = row.id.send_id(target) else {
        return false;
    };
    let subject = ledger::event_subject(&send, &row.session);
    let mut headers = HeaderMap::new();
    headers.insert(
        ledger::EVENT_MSG_ID_HEADER,
        ledger::event_msg_id(&row.id, row.event, &row.session).as_str(),
    );
    match client
        .publish_with_headers(subject, headers, row.to_payload().into())
        .await
    {
        Ok(()) => true,
        Err(e) => {
            debug!(
                "ledger row {} of {} not sent: {e}",
                row.event.as_str(),
                row.id
            );
            false
        }
    }
}

/// A row of `step` about `id` by `session`, stamped now.
pub fn row(step: Step, id: &MessageId, session: &SessionId) -> LedgerEvent {
    LedgerEvent::new(step, id.clone(), session.clone())
}

/// An `answered` row.
pub fn answered(id: &MessageId, session: &SessionId, label: &str, via: AnsweredVia) -> LedgerEvent {
    let mut row = row(Step::Answered, id, session);
    row.answer = Some(label.to_owned());
    row.via = Some(via);
    row
}

/// A `recalled` row; `seen`: it had been shown before the recall.
pub fn recalled(id: &MessageId, session: &SessionId, seen: bool) -> LedgerEvent {
    let mut row = row(Step::Recalled, id, session);
    row.seen = Some(seen);
    row
}

/// The record file.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Shown messages that offer answers or remind, oldest first.
    #[serde(default)]
    pub open: VecDeque<Open>,
    /// Sends recalled: never shown again. Oldest first.
    #[serde(default)]
    pub recalled: VecDeque<SendId>,
}

/// A shown message the user may still answer or read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Open {
    pub id: MessageId,
    /// The subject it came on (`broadcast` or `session.<id>`).
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_to: Option<String>,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    /// Seconds between reminders; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<u64>,
    pub shown_at: Timestamp,
    /// How many times it was shown again.
    #[serde(default)]
    pub reminders: u32,
    /// Read or answered: nothing more to do but keep the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Done>,
}

/// What the user did to an open message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub at: Timestamp,
    /// The label chosen; absent: read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl Open {
    /// The record of `message`, shown now on `target`, when it waits for
    /// the user (answers or reminders); `None` otherwise.
    pub fn of(message: &Incoming, target: &Target, receipt_to: Option<&str>) -> Option<Open> {
        if message.answers.is_empty() && message.remind_every.is_none() {
            return None;
        }
        Some(Open {
            id: message.id.clone(),
            subject: target.subject(),
            receipt_to: receipt_to.map(str::to_owned),
            text: message.text.clone(),
            title: message.title.clone(),
            sender: message.sender.clone(),
            sent_at: message.sent_at,
            expires_at: message.expires_at,
            priority: message.priority,
            answers: message.answers.clone(),
            remind_every: message.remind_every.map(|every| every.as_secs().max(1)),
            shown_at: Timestamp::now(),
            reminders: 0,
            done: None,
        })
    }

    /// The message again, to show it again.
    pub fn message(&self) -> Incoming {
        Incoming {
            id: self.id.clone(),
            text: self.text.clone(),
            title: self.title.clone(),
            sent_at: self.sent_at,
            sender: self.sender.clone(),
            expires_at: self.expires_at,
            priority: self.priority,
            answers: self.answers.clone(),
            remind_every: self.remind_every.map(Duration::from_secs),
            format: remote_message::envelope::Format::Json,
            ..Incoming::default()
        }
    }

    pub fn target(&self) -> Option<Target> {
        Target::from_subject(&self.subject)
    }

    /// Whether it still reminds: not done, not expired at `now`.
    pub fn reminds(&self, now: Timestamp) -> bool {
        self.remind_every.is_some()
            && self.done.is_none()
            && self.expires_at.is_none_or(|at| now < at)
    }
}

impl Record {
    pub fn find(&self, id: &MessageId) -> Option<&Open> {
        self.open.iter().find(|open| &open.id == id)
    }

    pub fn find_mut(&mut self, id: &MessageId) -> Option<&mut Open> {
        self.open.iter_mut().find(|open| &open.id == id)
    }

    /// Keeps `open` (replacing one of the same id), within [`MAX_OPEN`].
    pub fn keep(&mut self, open: Open) {
        self.open.retain(|kept| kept.id != open.id);
        if self.open.len() >= MAX_OPEN {
            self.open.pop_front();
        }
        self.open.push_back(open);
    }

    pub fn is_recalled(&self, send: &SendId) -> bool {
        self.recalled.contains(send)
    }

    /// Remembers `send` as recalled; false when it already was.
    pub fn recall(&mut self, send: &SendId) -> bool {
        if self.is_recalled(send) {
            return false;
        }
        if self.recalled.len() >= MAX_RECALLED {
            self.recalled.pop_front();
        }
        self.recalled.push_back(send.clone());
        true
    }
}

/// Where a session's record is, read and rewritten whole.
#[derive(Debug, Clone)]
pub struct RecordFile {
    path: PathBuf,
}

impl RecordFile {
    /// The record of `session` in state directory `dir`.
    pub fn new(dir: &Path, session: &SessionId) -> RecordFile {
        RecordFile {
            path: dir.join(format!("{session}.lifecycle.json")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The record; empty when missing or unreadable (it is rebuilt).
    pub fn load(&self) -> Record {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Reads the record, changes it with `change`, and writes it back
    /// (only when `change` says it changed something).
    pub fn update<T>(&self, change: impl FnOnce(&mut Record) -> (bool, T)) -> std::io::Result<T> {
        let mut record = self.load();
        let (changed, result) = change(&mut record);
        if changed {
            let json = serde_json::to_vec_pretty(&record).expect("a record serializes");
            files::write_private(&self.path, &json)?;
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking() -> Incoming {
        Incoming {
            id: "s1".into(),
            text: "May I restart now?".into(),
            answers: Answers::parse(&["Yes", "No"]).unwrap(),
            remind_every: Some(Duration::from_secs(60)),
            ..Incoming::default()
        }
    }

    /// A message that asks nothing and does not remind is not recorded;
    /// one that does round-trips through the file, which is private.
    #[test]
    fn open_messages_round_trip_through_a_private_file() {
        let quiet = Incoming {
            text: "hi".into(),
            ..Incoming::default()
        };
        assert!(Open::of(&quiet, &Target::Broadcast, None).is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = RecordFile::new(dir.path(), &"alice".parse().unwrap());
        let open = Open::of(&asking(), &Target::Broadcast, Some("receipt.t")).unwrap();
        file.update(|record| {
            record.keep(open.clone());
            (true, ())
        })
        .unwrap();
        let record = file.load();
        assert_eq!(record.find(&"s1".into()), Some(&open));
        assert_eq!(record.open[0].message().answers, asking().answers);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// The record stays bounded: the oldest open messages and recalled
    /// sends go first; a recall is remembered once.
    #[test]
    fn the_record_is_bounded() {
        let mut record = Record::default();
        for n in 0..MAX_OPEN + 3 {
            let mut message = asking();
            message.id = format!("m{n}").as_str().into();
            record.keep(Open::of(&message, &Target::Broadcast, None).unwrap());
        }
        assert_eq!(record.open.len(), MAX_OPEN);
        assert_eq!(record.open[0].id, "m3");
        for n in 0..MAX_RECALLED + 1 {
            assert!(record.recall(&SendId::parse(&format!("s{n}")).unwrap()));
        }
        assert!(!record.recall(&SendId::parse(&format!("s{MAX_RECALLED}")).unwrap()));
        assert_eq!(record.recalled.len(), MAX_RECALLED);
        assert!(!record.is_recalled(&SendId::parse("s0").unwrap()));
    }

    /// A corrupt record reads as empty: it never stops the agent.
    #[test]
    fn a_corrupt_record_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = RecordFile::new(dir.path(), &"alice".parse().unwrap());
        std::fs::write(file.path(), b"{not json").unwrap();
        assert_eq!(file.load(), Record::default());
    }

    /// Rows carry the step's own fields and go nowhere for an id naming no send.
    #[test]
    fn rows_carry_their_fields() {
        let bob: SessionId = "bob".parse().unwrap();
        let row = answered(&"s1-bob".into(), &bob, "Yes", AnsweredVia::Exec);
        assert_eq!(row.answer.as_deref(), Some("Yes"));
        assert_eq!(row.via, Some(AnsweredVia::Exec));
        assert_eq!(recalled(&"s1".into(), &bob, false).seen, Some(false));
    }
}
