//! `publisher recall <send-id>`: takes a send back. Deletes its stored
//! copies from the messages' stream (so an agent offline now never replays
//! it), publishes the recall order on `broadcast` (every agent hears every
//! recall: it names only the send id), records the recall in the ledger,
//! and with `--wait` reports each session's `recalled` row as it comes.

use crate::error::Error;
use crate::i18n::{self, errors, tr};
use crate::ledger::Ledger;
use crate::link::Link;
use crate::send::dispatch::Route;
use crate::send::plan::Outgoing;
use crate::tally::{self, Change, SessionState, Tally};
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::HeaderMap;
use futures::StreamExt;
use jiff::Timestamp;
use nkeys::KeyPair;
use remote_message::envelope::{wire_size, Envelope, MSG_ID_HEADER};
use remote_message::ledger::{self, RecallRecord, SendRecord};
use remote_message::stream::{self as log, STREAM_NAME};
use remote_message::{SendId, SessionId, Target};
use remote_message_cli::connection::ConnectionArgs;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;
use tracing::warn;

/// How long `--wait` without a value waits for the sessions' rows.
pub const DEFAULT_RECALL_WAIT: Duration = Duration::from_secs(10);

/// Longest a scan of the stored messages may go without a message.
const STALL_LIMIT: Duration = Duration::from_secs(10);

/// A recall as asked.
#[derive(Debug)]
pub struct Request {
    pub send: SendId,
    /// Who recalls it (the order's `sender`, the record's `by`).
    pub sender: String,
    pub sign_key: Option<KeyPair>,
    /// `--wait`: how long to wait for the sessions' `recalled` rows.
    pub wait: Option<Duration>,
}

/// `recall --json`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub send: SendId,
    /// Stored copies deleted from the messages' stream.
    pub deleted: usize,
    /// Whether the recall order was stored (else live only: no JetStream).
    pub stored: bool,
    /// Whether the ledger recorded the recall.
    pub recorded: bool,
    pub waited: bool,
    /// With `--wait`: each session's recall row (`seen`: whether it had
    /// been shown), in the order they came.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionState>,
    /// With `--wait`: sessions awaited that wrote no recall row in time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub no_row: Vec<SessionId>,
}

/// Recalls `request.send`; prints the report.
pub async fn run(connection: &ConnectionArgs, request: Request, json: bool) -> Result<(), Error> {
    let link = Link::open(connection).await?;
    let lang = i18n::lang();
    let ledger = Ledger::ensure(&link).await?;
    if ledger.is_none() {
        warn!(
            event = remote_message::Event::NoJetstream.name(),
            "this NATS server has no JetStream: the recall goes out live only, to the agents \
             connected now, and no ledger records it"
        );
    }
    let mut tally = Tally::of_record(None);
    let mut record = None;
    if let Some(ledger) = &ledger {
        record = ledger.send_record(&link, &request.send).await?;
        tally = Tally::of_record(record.as_ref());
        if request.wait.is_some() {
            ledger
                .read_rows(&link, &request.send, &mut tally, None, |_, _| {})
                .await?;
        }
    }
    // Listening before the order goes out, so no row is missed.
    let rows = match request.wait {
        Some(_) => Some(
            link.client
                .subscribe(ledger::events_filter(&request.send))
                .await
                .map_err(|e| link.server_failure(&tr!(errors(), "failed-subscribing"), e))?,
        ),
        None => None,
    };
    let deleted = delete_stored(&link, &request.send, record.as_ref()).await?;
    if !json {
        println!(
            "{}",
            tr!(
                lang,
                "recall-deleted",
                stream = STREAM_NAME,
                deleted = deleted
            )
        );
    }
    let stored = publish_order(&link, &request).await?;
    let mut recorded = false;
    if let Some(ledger) = &ledger {
        let recall = RecallRecord {
            send: request.send.clone(),
            at: Timestamp::now(),
            by: Some(request.sender.clone()),
        };
        ledger
            .record(&link, ledger::recalled_subject(&request.send), &recall)
            .await?;
        recorded = true;
    }
    if !json {
        println!(
            "{}",
            tr!(lang, "recall-published", send = request.send.to_string())
        );
    }
    let mut report = Report {
        send: request.send.clone(),
        deleted,
        stored,
        recorded,
        waited: request.wait.is_some(),
        sessions: Vec::new(),
        no_row: Vec::new(),
    };
    if let (Some(within), Some(mut rows)) = (request.wait, rows) {
        let awaited: BTreeSet<SessionId> = tally.targets().into_iter().collect();
        let deadline = tokio::time::Instant::now() + within;
        let mut reported = BTreeSet::new();
        // Rows already in the ledger (an agent that was quicker than this
        // subscription, or a recall made before) count too.
        for id in &awaited {
            if let Some(state) = tally.session(id).filter(|s| s.recalled.is_some()) {
                reported.insert(id.clone());
                report.sessions.push(state.clone());
            }
        }
        while !tally.all_recalled(awaited.iter()) || awaited.is_empty() {
            let next = tokio::time::timeout_at(deadline, rows.next()).await;
            let Ok(Some(message)) = next else { break };
            let Some(row) = ledger::event_from(&request.send, &message.subject, &message.payload)
            else {
                continue;
            };
            let session = row.session.clone();
            if tally.add(row) == Change::Nothing || reported.contains(&session) {
                continue;
            }
            let Some(state) = tally.session(&session).filter(|s| s.recalled.is_some()) else {
                continue;
            };
            reported.insert(session);
            if !json {
                print!("{}", tally::session_line(state, lang));
            }
            report.sessions.push(state.clone());
        }
        let _ = rows.unsubscribe().await;
        report.no_row = awaited
            .iter()
            .filter(|id| !reported.contains(*id))
            .cloned()
            .collect();
        if !json && !report.no_row.is_empty() {
            let sessions = report
                .no_row
                .iter()
                .map(SessionId::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            println!("{}", tr!(lang, "recall-none-answered", sessions = sessions));
        }
    }
    link.settle().await?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serializes")
        );
    }
    Ok(())
}

/// Publishes the recall order on `broadcast`, signed when asked, through
/// the messages' stream when there is one (an agent offline now replays
/// it and records that it never showed the message); whether it was
/// stored.
async fn publish_order(link: &Link, request: &Request) -> Result<bool, Error> {
    let mut order = Envelope::recall(&request.send, Some(request.sender.clone()));
    let target = Target::Broadcast;
    if let Some(key) = &request.sign_key {
        order.sign(key, &target.subject());
    }
    let payload = order.to_payload();
    let mut headers = HeaderMap::new();
    headers.insert(MSG_ID_HEADER, order.id.as_str());
    let outgoing = Outgoing {
        wire_size: wire_size(&[(MSG_ID_HEADER, order.id.as_str())], payload.len()),
        target,
        id: order.id.clone(),
        headers,
        payload: payload.into(),
    };
    let route = Route::open(link).await?;
    let stored = route.publish(link, &outgoing).await?.stored(link).await?;
    Ok(stored.is_some())
}

/// Deletes every stored copy of `send` from the messages' stream: the
/// broadcast message (id = send id) or each session's (`<send>-<session>`
/// on `session.<session>`), found by one pass over the stored headers from
/// a minute before the send (from the start without a record). How many
/// were deleted.
async fn delete_stored(
    link: &Link,
    send: &SendId,
    record: Option<&SendRecord>,
) -> Result<usize, Error> {
    let what = tr!(errors(), "failed-deleting");
    let js = link.args.jetstream(link.client.clone());
    let stream = match log::get(&js).await {
        Ok(Some(stream)) => stream,
        Ok(None) => return Ok(0),
        Err(e) if e.kind() == log::StreamErrorKind::NoJetStream => return Ok(0),
        Err(e) => return Err(link.refused_or(&what, e)),
    };
    let deliver_policy = match record {
        Some(record) => {
            let start = record.sent_at.as_nanosecond() - 60_000_000_000;
            match time::OffsetDateTime::from_unix_timestamp_nanos(start) {
                Ok(start_time) => DeliverPolicy::ByStartTime { start_time },
                Err(_) => DeliverPolicy::All,
            }
        }
        None => DeliverPolicy::All,
    };
    let config = OrderedConfig {
        deliver_policy,
        headers_only: true,
        ..Default::default()
    };
    let consumer = tokio::time::timeout(STALL_LIMIT, stream.create_consumer(config))
        .await
        .map_err(|_| link.refused_or(&what, "no answer in time"))?
        .map_err(|e| link.refused_or(&what, e))?;
    let mut pending = consumer.cached_info().num_pending;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| link.refused_or(&what, e))?;
    let mut copies = Vec::new();
    while pending > 0 {
        let message = match tokio::time::timeout(STALL_LIMIT, messages.next()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(e))) => return Err(link.refused_or(&what, e)),
            Ok(None) => break,
            Err(_) => return Err(link.refused_or(&what, "the stream stopped answering")),
        };
        let info = message.info().map_err(|e| link.refused_or(&what, e))?;
        pending = info.pending;
        let sequence = info.stream_sequence;
        let is_copy = Target::from_subject(&message.subject).is_some_and(|target| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(MSG_ID_HEADER))
                .is_some_and(|id| id.as_str() == send.message_id(&target).as_str())
        });
        if is_copy {
            copies.push(sequence);
        }
    }
    drop(messages);
    for sequence in &copies {
        tokio::time::timeout(STALL_LIMIT, stream.delete_message(*sequence))
            .await
            .map_err(|_| link.refused_or(&what, "no answer in time"))?
            .map_err(|e| link.refused_or(&what, e))?;
    }
    Ok(copies.len())
}
