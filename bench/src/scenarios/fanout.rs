//! Broadcast fan-out latency: from the publish call until each session has
//! handled the message (ours: published through the stream as the publisher
//! does, decoded and admitted by the agent core, ready to show).
//! Percentiles are over every (session, round) pair; `last_ms` is the
//! median over rounds of the time until the last session had it.
//!
//! A third side, raw with our bytes (the envelope and its header on
//! `raw.broadcast`, stamped without being decoded), tells what carrying our
//! message format costs from what the agent's work on it costs.

use super::{Ctx, TEXT_BYTES};
use crate::fleet::{self, Kind, RAW_BROADCAST};
use crate::ours::Outgoing;
use crate::stats::{median, now_ns, ratio, round2, Latency};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A round every session has not handled by then is a failure.
const ROUND_LIMIT: Duration = Duration::from_secs(60);

/// Quiet time between rounds, so one round's tail does not delay the next.
const GAP: Duration = Duration::from_millis(20);

static NEXT_ROUND: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Serialize)]
pub struct Fanout {
    pub sessions: usize,
    pub rounds: usize,
    pub text_bytes: usize,
    pub raw: Latency,
    pub ours: Latency,
    /// Raw, carrying our envelope's bytes and header.
    pub raw_same_bytes: Latency,
    pub raw_last_ms: f64,
    pub ours_last_ms: f64,
    pub p50_ratio: f64,
    /// ours / raw: the figure with a target.
    pub p99_ratio: f64,
    /// raw with our bytes / raw.
    pub same_bytes_p99_ratio: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Raw,
    Ours,
    RawSameBytes,
}

const SIDES: [Side; 3] = [Side::Raw, Side::Ours, Side::RawSameBytes];

pub async fn run(ctx: &Ctx) -> Result<Fanout, String> {
    let n = ctx.fleet.len();
    let probe = &ctx.fleet.shared.probe;
    let rounds = ctx.plan.fanout_rounds;
    let mut samples: [Vec<u64>; 3] = std::array::from_fn(|_| Vec::with_capacity(n * rounds));
    let mut lasts: [Vec<f64>; 3] = Default::default();
    // Round 0 of each side is a warm-up (e.g. the stream's first write), not counted.
    for rep in 0..=rounds {
        for i in 0..SIDES.len() {
            let side = SIDES[(i + rep) % SIDES.len()];
            let round = NEXT_ROUND.fetch_add(1, Ordering::Relaxed);
            probe.arm(round, n);
            let text = fleet::text(Kind::Fanout(round), TEXT_BYTES);
            let start = now_ns();
            match side {
                Side::Raw => ctx
                    .raw
                    .publish(RAW_BROADCAST, text.into())
                    .await
                    .map_err(|e| format!("raw publish failed: {e}"))?,
                Side::Ours => ctx.ours.broadcast(text, &ctx.sender).await?,
                Side::RawSameBytes => {
                    let m = Outgoing::new(None, text, &ctx.sender, None);
                    ctx.raw
                        .publish_with_headers(RAW_BROADCAST, m.headers, m.payload)
                        .await
                        .map_err(|e| format!("raw publish failed: {e}"))?
                }
            }
            probe.wait(ROUND_LIMIT).await.map_err(|got| {
                let missing: Vec<String> = probe
                    .missing(n, start)
                    .into_iter()
                    .take(5)
                    .map(|i| ctx.fleet.sessions[i].describe())
                    .collect();
                format!(
                    "fan-out ({side:?}) to {n} sessions, round {rep}: only {got} handled the \
                     broadcast within {ROUND_LIMIT:?}; missing e.g. {}",
                    missing.join("; ")
                )
            })?;
            let latencies: Vec<u64> = probe
                .times(n)
                .into_iter()
                .map(|t| t.saturating_sub(start))
                .collect();
            if rep > 0 {
                let last = latencies.iter().copied().max().unwrap_or(0);
                lasts[side as usize].push(last as f64 / 1e6);
                samples[side as usize].extend(latencies);
            }
            tokio::time::sleep(GAP).await;
        }
    }
    let [raw, ours, raw_same_bytes] = samples.map(Latency::of_ns);
    Ok(Fanout {
        sessions: n,
        rounds,
        text_bytes: TEXT_BYTES,
        p50_ratio: ratio(ours.p50_us, raw.p50_us),
        p99_ratio: ratio(ours.p99_us, raw.p99_us),
        same_bytes_p99_ratio: ratio(raw_same_bytes.p99_us, raw.p99_us),
        raw,
        ours,
        raw_same_bytes,
        raw_last_ms: round2(median(&lasts[0])),
        ours_last_ms: round2(median(&lasts[1])),
    })
}
