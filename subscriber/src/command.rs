//! `subscriber answer <message-id> <label or number>` and `subscriber read
//! <message-id>`: the user answers or reads, from a shell, a message the
//! running agent showed (in a terminal, where there is no button). They run
//! with the agent's own settings and credentials, look the message up in
//! the record the agent keeps in its state directory
//! ([`crate::lifecycle`]), write the ledger row under the agent's own
//! session (the broker refuses any other), and mark the record so the
//! agent stops reminding it.

use crate::config::AgentConfig;
use crate::identity;
use crate::lifecycle::{self, Done, Open, RecordFile};
use crate::link;
use jiff::Timestamp;
use remote_message::ledger::{AnsweredVia, Step};
use remote_message::sessions::Receipt;
use remote_message::{subject, MessageId, SessionId};
use std::path::Path;

/// Exit code: no message of that id waits in the record (never shown
/// here, shown without answers or reminders, recalled, or too old).
pub const UNKNOWN_MESSAGE: i32 = 8;

/// Exit code: the message was answered (or read) already; the first
/// answer stands.
pub const ALREADY_DONE: i32 = 9;

/// What the user does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Chooses an answer: a label or its number (1-based).
    Answer(String),
    Read,
}

/// Why a command did nothing: its exit code and what to print.
#[derive(Debug)]
pub struct Refused {
    pub code: i32,
    pub message: String,
}

fn refused(code: i32, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

/// Runs `subscriber answer` / `read`; prints what was done and returns
/// the exit code.
pub async fn run(config: AgentConfig, id: MessageId, act: Act) -> i32 {
    match act_on(&config, &id, &act).await {
        Ok(done) => {
            println!("{done}");
            remote_message_cli::exit::OK
        }
        Err(e) => {
            eprintln!("subscriber: {}", e.message);
            e.code
        }
    }
}

/// The message, the row, the publish, the mark; what was done.
async fn act_on(config: &AgentConfig, id: &MessageId, act: &Act) -> Result<String, Refused> {
    let usage = remote_message_cli::exit::USAGE;
    let Some(dir) = config.state_dir.as_deref() else {
        return Err(refused(
            usage,
            "no state directory (no home directory): give the agent's --state-dir",
        ));
    };
    let session = identity::session_of_running_agent(config, dir)
        .map_err(|e| refused(e.kind().exit_code(), e.to_string()))?
        .ok_or_else(|| {
            refused(
                UNKNOWN_MESSAGE,
                format!(
                    "no agent session in {}: give the agent's --session-id or --creds",
                    dir.display()
                ),
            )
        })?;
    let file = RecordFile::new(dir, &session);
    let open = find(&file, dir, &session, id)?;
    let answer = match act {
        Act::Answer(reply) => Some(resolve(&open, reply)?),
        Act::Read => None,
    };
    let client = link::connect_once(&config.connection, &session)
        .await
        .map_err(|e| refused(e.kind().exit_code(), e.to_string()))?;
    let target = open.target().ok_or_else(|| {
        refused(
            UNKNOWN_MESSAGE,
            format!("the record of {id} names no subject of this session"),
        )
    })?;
    let row = match &answer {
        Some(label) => lifecycle::answered(id, &session, label, AnsweredVia::Terminal),
        None => lifecycle::row(Step::Read, id, &session),
    };
    let sent = lifecycle::publish_row(&client, row, &target).await;
    // Read or answered, the user has read it: a sender waiting is told.
    if let Some(to) = open
        .receipt_to
        .as_deref()
        .and_then(|to| subject::receipt_subject(to, &session))
    {
        let receipt = serde_json::to_vec(&Receipt::read(id, &session)).expect("serializes");
        let _ = client.publish(to, receipt.into()).await;
    }
    let flushed = client.flush().await;
    if !sent || flushed.is_err() {
        return Err(refused(
            remote_message_cli::exit::SERVER,
            format!("the ledger row of {id} could not be sent"),
        ));
    }
    file.update(|record| match record.find_mut(id) {
        Some(open) if open.done.is_none() => {
            open.done = Some(Done {
                at: Timestamp::now(),
                answer: answer.clone(),
            });
            (true, ())
        }
        _ => (false, ()),
    })
    .map_err(|e| {
        refused(
            remote_message_cli::exit::FAILURE,
            format!("sent, but {} cannot be written: {e}", file.path().display()),
        )
    })?;
    Ok(match answer {
        Some(label) => format!("answered {id}: {label:?} (session {session})"),
        None => format!("read {id} (session {session})"),
    })
}

/// The open message `id` of `session`, not answered yet.
fn find(
    file: &RecordFile,
    dir: &Path,
    session: &SessionId,
    id: &MessageId,
) -> Result<Open, Refused> {
    let record = file.load();
    let Some(open) = record.find(id) else {
        return Err(refused(
            UNKNOWN_MESSAGE,
            format!(
                "no message {id} waits for an answer from session {session} (state dir {}): \
                 only messages shown here with answers or reminders can be answered or read",
                dir.display()
            ),
        ));
    };
    match &open.done {
        Some(Done {
            answer: Some(label),
            at,
        }) => Err(refused(
            ALREADY_DONE,
            format!("{id} was already answered {label:?} at {at}: the first answer stands"),
        )),
        Some(Done { answer: None, at }) => Err(refused(
            ALREADY_DONE,
            format!("{id} was already read at {at}"),
        )),
        None => Ok(open.clone()),
    }
}

/// The label `reply` (a label or its number) chooses, or why not.
fn resolve(open: &Open, reply: &str) -> Result<String, Refused> {
    if open.answers.is_empty() {
        return Err(refused(
            remote_message_cli::exit::USAGE,
            format!(
                "{} asks nothing: use `subscriber read {}`",
                open.id, open.id
            ),
        ));
    }
    open.answers
        .resolve(reply)
        .map(str::to_owned)
        .ok_or_else(|| {
            let choices: Vec<String> = open
                .answers
                .iter()
                .enumerate()
                .map(|(n, label)| format!("{} {label:?}", n + 1))
                .collect();
            refused(
                remote_message_cli::exit::USAGE,
                format!(
                    "{reply:?} is not an answer of {}: choose one of {}",
                    open.id,
                    choices.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::{Answers, Incoming, Target};

    fn open(answers: &[&str]) -> Open {
        let message = Incoming {
            id: "s1".into(),
            text: "May I restart now?".into(),
            answers: Answers::parse(answers).unwrap(),
            remind_every: Some(std::time::Duration::from_secs(60)),
            ..Incoming::default()
        };
        Open::of(&message, &Target::Broadcast, None).unwrap()
    }

    /// A label or its number chooses an answer; anything else is refused
    /// with the choices listed, and a message that asks nothing is read.
    #[test]
    fn replies_resolve_to_labels() {
        let open = open(&["Restart now", "In 1 hour"]);
        assert_eq!(resolve(&open, "2").unwrap(), "In 1 hour");
        assert_eq!(resolve(&open, "restart now").unwrap(), "Restart now");
        let bad = resolve(&open, "Never").unwrap_err();
        assert_eq!(bad.code, 2);
        assert!(
            bad.message.contains(r#"1 "Restart now", 2 "In 1 hour""#),
            "{}",
            bad.message
        );
        let quiet = resolve(&open_without_answers(), "1").unwrap_err();
        assert!(
            quiet.message.contains("subscriber read s1"),
            "{}",
            quiet.message
        );
    }

    fn open_without_answers() -> Open {
        let mut open = open(&["x"]);
        open.answers = Answers::default();
        open
    }

    /// An unknown id and a second answer are refused with their own codes,
    /// the second naming the first answer.
    #[test]
    fn unknown_ids_and_second_answers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let session: SessionId = "alice".parse().unwrap();
        let file = RecordFile::new(dir.path(), &session);
        let unknown = find(&file, dir.path(), &session, &"nope".into()).unwrap_err();
        assert_eq!(unknown.code, UNKNOWN_MESSAGE);
        let mut answered = open(&["Yes", "No"]);
        answered.done = Some(Done {
            at: Timestamp::now(),
            answer: Some("Yes".into()),
        });
        file.update(|record| {
            record.keep(answered);
            (true, ())
        })
        .unwrap();
        let twice = find(&file, dir.path(), &session, &"s1".into()).unwrap_err();
        assert_eq!(twice.code, ALREADY_DONE);
        assert!(
            twice.message.contains(r#"answered "Yes""#),
            "{}",
            twice.message
        );
    }
}
