//! Broadcast `--wait`: how long collecting a receipt from every session
//! takes. In process, ours stores the envelope in the stream with a
//! `Receipt-To` inbox and decodes each agent's receipt (the publisher's
//! path); raw broadcasts a plain payload with a reply inbox and counts plain
//! replies of the same size.
//! Then, once per N, the real `publisher send --wait --json` runs end to end
//! (listing, broadcast, receipts, report) and must report every session.

use super::{order, Ctx, Side, TEXT_BYTES};
use crate::fleet::{self, Kind, RAW_BROADCAST};
use crate::procs::{run_publisher, Binaries};
use crate::stats::{median, ratio, round2};
use futures::StreamExt;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Receipts missing after this are a failure.
const COLLECT_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize)]
pub struct BroadcastWait {
    pub sessions: usize,
    pub reps: usize,
    /// Median time from publishing until every receipt was in.
    pub raw_ms: f64,
    pub ours_ms: f64,
    pub ratio: f64,
    pub publisher: PublisherWait,
}

/// The real `publisher send --wait --json`, once.
#[derive(Debug, Serialize)]
pub struct PublisherWait {
    /// Process start to exit, including its listing wait.
    pub wall_ms: f64,
    pub exit_code: Option<i32>,
    /// Sessions listed before the send.
    pub expected: u64,
    pub delivered: u64,
    /// Confirmed but not listed before the send.
    pub also_delivered: u64,
}

pub async fn run(ctx: &Ctx, bins: &Binaries, url: &str) -> Result<BroadcastWait, String> {
    let n = ctx.fleet.len();
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for rep in 0..ctx.plan.wait_reps {
        for side in order(rep) {
            let text = fleet::text(Kind::Other, TEXT_BYTES);
            let start = Instant::now();
            let confirmed = match side {
                Side::Raw => raw_broadcast_and_wait(ctx, text, n).await?,
                Side::Ours => {
                    let live = ctx.fleet.sessions.iter().map(|s| s.info.clone()).collect();
                    ctx.ours
                        .broadcast_and_wait(text, &ctx.sender, live, COLLECT_LIMIT)
                        .await?
                }
            };
            let ms = start.elapsed().as_secs_f64() * 1e3;
            if confirmed != n {
                return Err(format!(
                    "broadcast --wait ({side:?}): {confirmed} of {n} sessions confirmed within \
                     {COLLECT_LIMIT:?}"
                ));
            }
            times[side.index()].push(ms);
        }
    }
    let publisher = real_publisher(bins, url).await?;
    let reached = publisher.delivered + publisher.also_delivered;
    if publisher.exit_code != Some(0) || reached != n as u64 {
        return Err(format!(
            "publisher send --wait reached {reached} of {n} sessions (exit {:?}, {} listed)",
            publisher.exit_code, publisher.expected
        ));
    }
    let raw = round2(median(&times[0]));
    let ours = round2(median(&times[1]));
    Ok(BroadcastWait {
        sessions: n,
        reps: ctx.plan.wait_reps,
        raw_ms: raw,
        ours_ms: ours,
        ratio: ratio(ours, raw),
        publisher,
    })
}

async fn raw_broadcast_and_wait(ctx: &Ctx, text: String, n: usize) -> Result<usize, String> {
    let client = &ctx.raw;
    let inbox = client.new_inbox();
    let mut replies = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| format!("subscribe: {e}"))?;
    client
        .publish_with_reply(RAW_BROADCAST, inbox, text.into())
        .await
        .map_err(|e| format!("publish: {e}"))?;
    client.flush().await.map_err(|e| format!("flush: {e}"))?;
    let deadline = tokio::time::Instant::now() + COLLECT_LIMIT;
    let mut got = 0;
    while got < n {
        match tokio::time::timeout_at(deadline, replies.next()).await {
            Ok(Some(_)) => got += 1,
            _ => break,
        }
    }
    let _ = replies.unsubscribe().await;
    Ok(got)
}

pub async fn real_publisher(bins: &Binaries, url: &str) -> Result<PublisherWait, String> {
    // No --timeout: it would also set the listing's wait.
    let text = fleet::text(Kind::Other, TEXT_BYTES);
    let (output, wall_ms) =
        run_publisher(bins, url, &["send", "--wait=60s", "--json", &text]).await?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "publisher send --wait --json printed no report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    let count = |key: &str| {
        report
            .get(key)
            .and_then(|v| v.as_u64().or(v.as_array().map(|a| a.len() as u64)))
            .unwrap_or(0)
    };
    Ok(PublisherWait {
        wall_ms,
        exit_code: output.status.code(),
        expected: count("expected"),
        delivered: count("delivered"),
        also_delivered: count("also_delivered"),
    })
}
