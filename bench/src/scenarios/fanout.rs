//! Broadcast fan-out latency: from the publish call until each session has
//! handled the message (ours: published through the stream as the publisher
//! does, decoded and admitted by the agent core, ready to show).
//! Each round gives p50, p99 and max over the sessions; the figures are the
//! medians of those over the rounds, so that one round stalled by the shared
//! machine does not decide a tail (the pooled p99 is kept in the JSON).
//!
//! A third side, raw with our bytes (the envelope and its header on
//! `raw.broadcast`, stamped without being decoded), tells what carrying our
//! message format costs from what the agent's work on it costs.
//!
//! The ledger stream is on, as `publisher setup` leaves it: each agent
//! writes its `delivered` row once it showed the message, so a broadcast
//! to N sessions adds N JetStream writes, counted after every ours round
//! (the next round starts once they are stored). A fourth side, ours with
//! the ledger off (its stream deleted for the round, as on a server where
//! it was never set up), tells what storing those rows costs the fan-out.

use super::{Ctx, TEXT_BYTES};
use crate::fleet::{self, Kind, RAW_BROADCAST};
use crate::ledger;
use crate::stats::{median, now_ns, ratio, round2, Latency};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A round every session has not handled by then is a failure.
const ROUND_LIMIT: Duration = Duration::from_secs(60);

/// Quiet time between rounds, so one round's tail does not delay the next.
const GAP: Duration = Duration::from_millis(20);

/// Longest wait for a round's ledger rows to be stored.
const ROWS_LIMIT: Duration = Duration::from_secs(30);

static NEXT_ROUND: AtomicU64 = AtomicU64::new(1);

#[derive(Debug, Serialize)]
pub struct Fanout {
    pub sessions: usize,
    pub rounds: usize,
    pub text_bytes: usize,
    /// Medians over rounds of each round's p50, p99 and max.
    pub raw: Latency,
    pub ours: Latency,
    /// Raw, carrying our envelope's bytes and header.
    pub raw_same_bytes: Latency,
    /// Ours with the ledger stream deleted.
    pub ours_ledger_off: Latency,
    /// p99 over every (session, round) pair: [raw, ours, raw with our
    /// bytes, ours with the ledger off].
    pub pooled_p99_us: [f64; 4],
    pub p50_ratio: f64,
    /// ours / raw: the figure with a target.
    pub p99_ratio: f64,
    /// raw with our bytes / raw.
    pub same_bytes_p99_ratio: f64,
    /// ours (ledger on) / ours with the ledger off: what storing the rows
    /// costs the fan-out.
    pub ledger_p99_ratio: f64,
    /// ours with the ledger off / raw.
    pub ledger_off_p99_ratio: f64,
    /// Messages the ledger stream gained per ours round (median; min, max):
    /// the JetStream writes one broadcast adds.
    pub ledger_writes_per_broadcast: f64,
    pub ledger_writes_min_max: [u64; 2],
    /// Time until the last session had it, each round, ms: [raw, ours, raw
    /// with our bytes, ours with the ledger off].
    pub max_ms_per_round: [Vec<f64>; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Raw,
    Ours,
    RawSameBytes,
    OursLedgerOff,
}

const SIDES: [Side; 4] = [Side::Raw, Side::Ours, Side::RawSameBytes, Side::OursLedgerOff];

pub async fn run(ctx: &Ctx) -> Result<Fanout, String> {
    let n = ctx.fleet.len();
    let probe = &ctx.fleet.shared.probe;
    let rounds = ctx.plan.fanout_rounds;
    let mut samples: [Vec<u64>; 4] = std::array::from_fn(|_| Vec::with_capacity(n * rounds));
    let mut per_round: [Vec<Latency>; 4] = Default::default();
    let mut ledger_writes: Vec<u64> = Vec::with_capacity(rounds);
    let client = ctx.ours.client();
    // Round 0 of each side is a warm-up (e.g. the stream's first write), not counted.
    for rep in 0..=rounds {
        for i in 0..SIDES.len() {
            let side = SIDES[(i + rep) % SIDES.len()];
            let round = NEXT_ROUND.fetch_add(1, Ordering::Relaxed);
            probe.arm(round, n);
            let text = fleet::text(Kind::Fanout(round), TEXT_BYTES);
            if side == Side::OursLedgerOff {
                ledger::take_down(client).await?;
            }
            let ledger_before = match side {
                Side::Ours => ledger::stored(client).await?,
                _ => 0,
            };
            let start = now_ns();
            match side {
                Side::Raw => ctx
                    .raw
                    .publish(RAW_BROADCAST, text.into())
                    .await
                    .map_err(|e| format!("raw publish failed: {e}"))?,
                Side::Ours | Side::OursLedgerOff => ctx.ours.broadcast(text, &ctx.sender).await?,
                Side::RawSameBytes => {
                    let m = ctx.ours.broadcast_message(text, &ctx.sender)?;
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
                samples[side as usize].extend_from_slice(&latencies);
                per_round[side as usize].push(Latency::of_ns(latencies));
            }
            match side {
                // The rows this broadcast brought, stored before the next round.
                Side::Ours => {
                    let after = ledger::settle(client, ledger_before + n as u64, ROWS_LIMIT).await?;
                    if rep > 0 {
                        ledger_writes.push(after.saturating_sub(ledger_before));
                    }
                }
                // Its rows (published, stored nowhere) pass before the
                // ledger is back and the next round starts.
                Side::OursLedgerOff => {
                    tokio::time::sleep(ledger::QUIET).await;
                    ledger::set_up(client).await?
                }
                _ => {}
            }
            tokio::time::sleep(GAP).await;
        }
    }
    let pooled_p99_us = samples.map(|s| Latency::of_ns(s).p99_us);
    let max_ms_per_round = per_round
        .each_ref()
        .map(|rounds| rounds.iter().map(|l| round2(l.max_us / 1e3)).collect());
    let [raw, ours, raw_same_bytes, ours_ledger_off] =
        per_round.map(|rounds| Latency::median_of(&rounds));
    let writes: Vec<f64> = ledger_writes.iter().map(|&w| w as f64).collect();
    Ok(Fanout {
        sessions: n,
        rounds,
        text_bytes: TEXT_BYTES,
        p50_ratio: ratio(ours.p50_us, raw.p50_us),
        p99_ratio: ratio(ours.p99_us, raw.p99_us),
        same_bytes_p99_ratio: ratio(raw_same_bytes.p99_us, raw.p99_us),
        ledger_p99_ratio: ratio(ours.p99_us, ours_ledger_off.p99_us),
        ledger_off_p99_ratio: ratio(ours_ledger_off.p99_us, raw.p99_us),
        ledger_writes_per_broadcast: median(&writes),
        ledger_writes_min_max: [
            ledger_writes.iter().copied().min().unwrap_or(0),
            ledger_writes.iter().copied().max().unwrap_or(0),
        ],
        raw,
        ours,
        raw_same_bytes,
        ours_ledger_off,
        pooled_p99_us,
        max_ms_per_round,
    })
}
