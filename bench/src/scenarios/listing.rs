//! The session listing.
//!
//! `list_ms` and `listed` come from one call of the real
//! `remote_message::sessions::discover` with the publisher's default wait:
//! a scatter-gather cannot know when the last answer is in, so its wall time
//! is the wait, by design. What the answers themselves cost is the time
//! until the N-th arrived: ours pings `sessions.ping` (answers on
//! `sessions.entry.<token>.<id>.<user>`) and reads each answer as `discover`
//! does; raw pings plain responders that answer
//! with a payload of the same size and only counts.

use super::{order, Ctx, Side};
use crate::fleet::RAW_PING;
use crate::stats::{median, ratio, round2};
use async_nats::Client;
use futures::StreamExt;
use remote_message::sessions::{self, DEFAULT_LIST_WAIT};
use remote_message::subject::{self, SESSIONS_PING};
use serde::Serialize;
use std::time::{Duration, Instant};

/// A gather that has not heard from every session by then is a failure.
const GATHER_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Serialize)]
pub struct Listing {
    pub sessions: usize,
    /// Sessions `discover` returned: must equal `sessions`.
    pub listed: usize,
    /// Wall time of `discover`.
    pub list_ms: f64,
    /// The wait `discover` was given (the publisher's default).
    pub list_wait_ms: f64,
    pub reps: usize,
    /// Median time until the N-th answer.
    pub raw_complete_ms: f64,
    pub ours_complete_ms: f64,
    pub complete_ratio: f64,
}

pub async fn run(ctx: &Ctx) -> Result<Listing, String> {
    let n = ctx.fleet.len();
    let start = Instant::now();
    let live = sessions::discover(ctx.ours.client(), DEFAULT_LIST_WAIT)
        .await
        .map_err(|e| format!("listing failed: {e}"))?;
    let list_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut complete: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for rep in 0..ctx.plan.listing_reps {
        for side in order(rep) {
            let ms = match side {
                Side::Raw => gather(&ctx.raw, RAW_PING, n, false).await?,
                Side::Ours => gather(ctx.ours.client(), SESSIONS_PING, n, true).await?,
            };
            complete[side.index()].push(ms);
        }
    }
    let raw = round2(median(&complete[0]));
    let ours = round2(median(&complete[1]));
    Ok(Listing {
        sessions: n,
        listed: live.len(),
        list_ms: round2(list_ms),
        list_wait_ms: DEFAULT_LIST_WAIT.as_secs_f64() * 1e3,
        reps: ctx.plan.listing_reps,
        raw_complete_ms: raw,
        ours_complete_ms: ours,
        complete_ratio: ratio(ours, raw),
    })
}

/// Pings `subject` and waits for `n` answers; milliseconds until the last.
async fn gather(client: &Client, subject: &str, n: usize, decode: bool) -> Result<f64, String> {
    // Ours answers on `<reply>.<id>.<user>`, raw on the reply itself.
    let (inbox, filter) = if decode {
        let reply = subject::new_entry_reply();
        (reply.clone(), format!("{reply}.>"))
    } else {
        let inbox = client.new_inbox();
        (inbox.clone(), inbox)
    };
    let mut answers = client
        .subscribe(filter)
        .await
        .map_err(|e| format!("subscribe: {e}"))?;
    client.flush().await.map_err(|e| format!("flush: {e}"))?;
    let start = Instant::now();
    client
        .publish_with_reply(subject.to_owned(), inbox.clone(), Default::default())
        .await
        .map_err(|e| format!("ping: {e}"))?;
    let deadline = tokio::time::Instant::now() + GATHER_LIMIT;
    let mut counted = 0;
    // Ours reads each answer as `discover` does.
    let mut listing = sessions::Listing::new(&inbox);
    while counted < n {
        let Ok(Some(answer)) = tokio::time::timeout_at(deadline, answers.next()).await else {
            return Err(format!(
                "ping on {subject}: {counted} of {n} sessions answered within {GATHER_LIMIT:?}"
            ));
        };
        if !decode || listing.add(&answer.subject, &answer.payload) {
            counted += 1;
        }
    }
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let _ = answers.unsubscribe().await;
    Ok(ms)
}
