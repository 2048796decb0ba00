//! `publisher status <send-id>`: what became of a send at every session,
//! from the ledger alone (its record and the agents' rows), so it works
//! hours later and from any ops machine; `--follow` goes on with the rows
//! as they come.

use crate::error::{Error, ErrorKind};
use crate::i18n::{self, errors, tr};
use crate::ledger::{Ledger, Read};
use crate::link::Link;
use crate::tally::{self, Change, Summary, Tally};
use jiff::Unit;
use remote_message::ledger::{RecallRecord, SendRecord, SendTarget, STREAM_NAME};
use remote_message::SendId;
use remote_message_cli::connection::ConnectionArgs;
use remote_message_cli::lang::Lang;
use serde::Serialize;
use std::time::Duration;

/// How long `--follow` goes on when `--timeout` is not given.
pub const DEFAULT_FOLLOW: Duration = Duration::from_secs(600);

/// `status --json`: the record, the recall, and the tally's counts and
/// sessions.
#[derive(Debug, Serialize)]
pub struct Status {
    pub send: SendId,
    /// The send record (`null`: the send was made before the ledger existed).
    pub record: Option<SendRecord>,
    /// The recall, if the send was recalled.
    pub recalled: Option<RecallRecord>,
    #[serde(flatten)]
    pub tally: Summary,
}

/// Prints the status of `send`; with `follow`, goes on with the rows as
/// they come for that long at most. An id the ledger knows nothing of is
/// [`ErrorKind::UnknownSend`].
pub async fn run(
    connection: &ConnectionArgs,
    send: SendId,
    follow: Option<Duration>,
    json: bool,
) -> Result<(), Error> {
    let link = Link::open(connection).await?;
    let ledger = Ledger::open(&link).await?;
    let (record, recalled) = tokio::join!(
        ledger.send_record(&link, &send),
        ledger.recall_record(&link, &send)
    );
    let (record, recalled) = (record?, recalled?);
    // Without a record nobody knows whom to wait for: no following.
    let follow = follow.filter(|_| record.is_some());
    let mut tally = Tally::of_record(record.as_ref());
    let lang = i18n::lang();
    let header = header(&send, record.as_ref(), recalled.as_ref(), lang);
    // Whether the state was printed, and whether rows came after it.
    let (mut live, mut moved) = (false, false);
    let rows = ledger
        .read_rows(&link, &send, &mut tally, follow, |tally, read| {
            if json || follow.is_none() {
                return;
            }
            match read {
                Read::CaughtUp if !live => {
                    live = true;
                    print!("{header}{}", tally::text(tally, lang));
                }
                Read::Row(row, Change::New | Change::Invalid) if live => {
                    if let Some(state) = tally.session(&row.session) {
                        moved = true;
                        print!("{}", tally::session_line(state, lang));
                    }
                }
                _ => {}
            }
        })
        .await?;
    if record.is_none() && recalled.is_none() && rows == 0 {
        return Err(ErrorKind::UnknownSend.error(tr!(
            errors(),
            "unknown-send",
            send = send.to_string(),
            stream = STREAM_NAME
        )));
    }
    if json {
        let status = Status {
            send,
            record,
            recalled,
            tally: tally.summary(),
        };
        println!(
            "{}",
            serde_json::to_string(&status).expect("a status serializes")
        );
    } else if follow.is_some() {
        if moved {
            print!("{}", tally::totals(&tally, lang));
        }
    } else {
        print!("{header}{}", tally::text(&tally, lang));
    }
    Ok(())
}

/// The lines above the sessions: what was sent, when, to whom; the
/// answers offered; the recall.
fn header(
    send: &SendId,
    record: Option<&SendRecord>,
    recalled: Option<&RecallRecord>,
    lang: Lang,
) -> String {
    let mut out = String::new();
    match record {
        Some(record) => {
            let target = match record.target {
                SendTarget::Broadcast => "broadcast",
                SendTarget::Sessions => "sessions",
            };
            out.push_str(&tr!(
                lang,
                "status-send",
                send = send.to_string(),
                at = record
                    .sent_at
                    .round(Unit::Second)
                    .unwrap_or(record.sent_at)
                    .to_string(),
                sender = record.sender.clone().unwrap_or_default(),
                target = target,
                text = remote_message::terminal::printable(
                    &record.text,
                    80,
                    remote_message::terminal::Lines::Escaped
                )
            ));
            out.push('\n');
            if !record.answers.is_empty() {
                let answers = record
                    .answers
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                out.push_str(&tr!(lang, "status-answers", answers = answers));
                out.push('\n');
            }
        }
        None => {
            out.push_str(&tr!(lang, "status-no-record"));
            out.push('\n');
        }
    }
    if let Some(recall) = recalled {
        out.push_str(&tr!(
            lang,
            "status-recalled",
            at = recall
                .at
                .round(Unit::Second)
                .unwrap_or(recall.at)
                .to_string(),
            by = recall.by.clone().unwrap_or_default()
        ));
        out.push('\n');
    }
    out
}
