//! `publisher status` over a send that every session answered, against
//! `publisher sessions` over the same fleet, in the same run.
//!
//! The ledger is filled as if the fleet had answered a question asked of
//! everyone: one send record on `sends.<send>.sent` (a broadcast listing
//! every session, with two answers) and, per session, the `delivered` and
//! the `answered` row on `ledger.<send>.<session>`, built with the
//! contract's own `LedgerEvent` and `Nats-Msg-Id` as an agent writes them
//! (published through JetStream in batches, every acknowledgement awaited).
//! Then the real `publisher status <send> --json` and the real `publisher
//! sessions --json` (the fleet's agents answer its ping) run alternately,
//! each timed from start to exit; status must report every session as
//! answered, the listing every session. Target: status ≤ 2× sessions.
//!
//! Run once, at the largest session count of the run.

use super::{order, Ctx, Side, TEXT_BYTES};
use crate::fleet::{self, Kind};
use crate::procs::{run_publisher, Binaries};
use crate::scenarios::cluster;
use crate::stats::{median, ratio, round2};
use async_nats::jetstream;
use async_nats::HeaderMap;
use bytes::Bytes;
use jiff::Timestamp;
use remote_message::answer::Answers;
use remote_message::ledger::{
    self, AnsweredVia, LedgerEvent, SendRecord, SendTarget, Step, Targeted,
};
use remote_message::sessions::ShownVia;
use remote_message::{SendId, Target};
use serde::Serialize;
use std::future::IntoFuture;
use std::time::Instant;

/// The question's answers.
pub const ANSWERS: [&str; 2] = ["Restart now", "In 1 hour"];

/// Rows published before their acknowledgements are awaited.
const BATCH: usize = 2_000;

#[derive(Debug, Serialize)]
pub struct Status {
    pub sessions: usize,
    /// Messages written to the ledger: the send record and two rows per
    /// session.
    pub ledger_messages: usize,
    /// Time to write them.
    pub fill_ms: f64,
    pub reps: usize,
    /// Median wall time of `publisher sessions --json`, start to exit.
    pub sessions_ms: f64,
    /// Sessions it listed (last run): must equal `sessions`.
    pub listed: usize,
    /// Median wall time of `publisher status <send> --json`, start to
    /// exit; `None` when this publisher has no `status`.
    pub status_ms: Option<f64>,
    /// Sessions status reported as answered (last run): must equal
    /// `sessions`.
    pub answered: Option<u64>,
    /// status / sessions: the figure with a target (≤ 2).
    pub ratio: Option<f64>,
    /// Why status was not measured.
    pub skipped: Option<String>,
}

pub async fn run(ctx: &Ctx, bins: &Binaries, url: &str) -> Result<Status, String> {
    let n = ctx.fleet.len();
    let send = SendId::random();
    let started = Instant::now();
    let ledger_messages = fill(ctx, &send).await?;
    let fill_ms = round2(started.elapsed().as_secs_f64() * 1e3);
    let skipped = missing_status(bins, url).await?;
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let (mut listed, mut answered) = (0, None);
    for rep in 0..ctx.plan.status_reps {
        // Raw stands for the listing, ours for the status.
        for side in order(rep) {
            let ms = match side {
                Side::Raw => {
                    let (count, ms) = cluster::listing(bins, url).await?;
                    listed = count;
                    ms
                }
                Side::Ours if skipped.is_some() => continue,
                Side::Ours => {
                    let (count, ms) = status(bins, url, &send).await?;
                    answered = Some(count);
                    ms
                }
            };
            times[side.index()].push(ms);
        }
    }
    if listed != n {
        return Err(format!(
            "publisher sessions --json listed {listed} of {n} sessions"
        ));
    }
    if answered.is_some_and(|a| a != n as u64) {
        return Err(format!(
            "publisher status --json reported {} of {n} sessions as answered",
            answered.unwrap_or(0)
        ));
    }
    let sessions_ms = round2(median(&times[0]));
    let status_ms = skipped.is_none().then(|| round2(median(&times[1])));
    Ok(Status {
        sessions: n,
        ledger_messages,
        fill_ms,
        reps: ctx.plan.status_reps,
        sessions_ms,
        listed,
        status_ms,
        answered,
        ratio: status_ms.map(|s| ratio(s, sessions_ms)),
        skipped,
    })
}

/// Writes the send record and every session's `delivered` and `answered`
/// rows; how many messages that is.
async fn fill(ctx: &Ctx, send: &SendId) -> Result<usize, String> {
    let js = jetstream::new(ctx.ours.client().clone());
    let sessions = &ctx.fleet.sessions;
    let answers = Answers::parse(&ANSWERS).map_err(|e| format!("answers: {e}"))?;
    let record = SendRecord {
        send: send.clone(),
        sent_at: Timestamp::now(),
        sender: Some(ctx.sender.clone()),
        title: None,
        text: fleet::text(Kind::Other, TEXT_BYTES),
        answers,
        remind_every: None,
        expires_at: None,
        target: SendTarget::Broadcast,
        sessions: Some(
            sessions
                .iter()
                .map(|s| Targeted {
                    session: s.info.id.clone(),
                    user: s.info.user.clone(),
                })
                .collect(),
        ),
    };
    let record = serde_json::to_vec(&record).expect("a send record serializes");
    let written = |e: &dyn std::fmt::Display| format!("ledger write: {e}");
    js.publish(ledger::sent_subject(send), record.into())
        .await
        .map_err(|e| written(&e))?
        .await
        .map_err(|e| written(&e))?;
    let id = send.message_id(&Target::Broadcast);
    let rows: Vec<(String, HeaderMap, Bytes)> = sessions
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let mut delivered = LedgerEvent::new(Step::Delivered, id.clone(), s.info.id.clone());
            delivered.shown = vec![ShownVia::Desktop];
            delivered.read_ack = Some(true);
            let mut answered = LedgerEvent::new(Step::Answered, id.clone(), s.info.id.clone());
            answered.answer = Some(ANSWERS[i % ANSWERS.len()].to_owned());
            answered.via = Some(AnsweredVia::Desktop);
            [delivered, answered]
        })
        .map(|row| {
            let mut headers = HeaderMap::new();
            headers.insert(
                ledger::EVENT_MSG_ID_HEADER,
                ledger::event_msg_id(&row.id, row.event, &row.session).as_str(),
            );
            let subject = ledger::event_subject(send, &row.session);
            (subject, headers, Bytes::from(row.to_payload()))
        })
        .collect();
    for batch in rows.chunks(BATCH) {
        let mut acks = Vec::with_capacity(batch.len());
        for (subject, headers, payload) in batch {
            acks.push(
                js.publish_with_headers(subject.clone(), headers.clone(), payload.clone())
                    .await
                    .map_err(|e| written(&e))?,
            );
        }
        futures::future::try_join_all(acks.into_iter().map(IntoFuture::into_future))
            .await
            .map_err(|e| written(&e))?;
    }
    Ok(rows.len() + 1)
}

/// Why `publisher status` cannot be measured with this publisher, if it
/// cannot: it has no such subcommand.
async fn missing_status(bins: &Binaries, url: &str) -> Result<Option<String>, String> {
    let (output, _) = run_publisher(bins, url, &["status", "--help"]).await?;
    Ok((!output.status.success()).then(|| {
        "this publisher has no `status` subcommand: status not measured".to_owned()
    }))
}

/// `publisher status <send> --json`: sessions it reports as answered,
/// wall ms.
async fn status(bins: &Binaries, url: &str, send: &SendId) -> Result<(u64, f64), String> {
    let (output, wall_ms) = run_publisher(bins, url, &["status", send.as_str(), "--json"]).await?;
    let failed = |why: String| {
        format!(
            "publisher status --json {why} (exit {:?}); stderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    };
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("printed no report ({e})")))?;
    let answered = answered_count(&report)
        .ok_or_else(|| {
            let printed: String = report.to_string().chars().take(200).collect();
            failed(format!("printed no answered count: {printed}"))
        })?;
    Ok((answered, wall_ms))
}

/// The sessions a status report counts as answered: its `answered`.
fn answered_count(report: &serde_json::Value) -> Option<u64> {
    report.get("answered")?.as_u64()
}
