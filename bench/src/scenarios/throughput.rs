//! Sustained broadcast throughput to 10 sessions: one publisher sends as
//! fast as the slowest session keeps up (at most [`WINDOW`] messages ahead,
//! so no client ever drops one), and the figure is messages handled per
//! second, summed over the sessions.
//!
//! Four variants, rotating which runs first:
//! - raw: plain publish of the bare text on `raw.broadcast`;
//! - ours: the publisher's path, a fresh envelope per message stored in the
//!   stream, acknowledgements pipelined (at most [`ACK_WINDOW`] pending),
//!   handled by the agent core;
//! - ours, live only: the same with the stream deleted (what a server
//!   without JetStream does): the stream's share of the cost;
//! - raw, same bytes: our envelope and headers sent on `raw.broadcast` and
//!   only counted: what carrying our bytes costs, without the agent's work.

use super::Ctx;
use crate::fleet::{self, Kind, Shared, RAW_BROADCAST, SUBSCRIPTION_CAPACITY};
use crate::procs::{cpu_ns_of, own_cpu_ns};
use crate::stats::{median, ratio, round2};
use async_nats::jetstream;
use bytes::Bytes;
use remote_message::stream;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Sessions receiving: the figure.
pub const SESSIONS: usize = 10;

/// Most messages the publisher may be ahead of the slowest session.
const WINDOW: u64 = 4096;
const _: () = assert!(WINDOW < SUBSCRIPTION_CAPACITY as u64);

/// Most stream acknowledgements pending at once.
const ACK_WINDOW: usize = 1024;

/// A run that makes no progress for this long lost messages.
const STALL_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Raw,
    Stored,
    Live,
    RawSameBytes,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Raw,
        Variant::Stored,
        Variant::Live,
        Variant::RawSameBytes,
    ];

    /// All of them, rotated by repetition.
    fn order(rep: usize) -> [Variant; 4] {
        std::array::from_fn(|i| Self::ALL[(i + rep) % Self::ALL.len()])
    }
}

#[derive(Debug, Serialize)]
pub struct Throughput {
    pub text_bytes: usize,
    pub sessions: usize,
    pub messages: usize,
    pub runs: usize,
    /// Messages handled per second, all sessions together (median of runs).
    pub raw_msgs_per_s: f64,
    pub ours_msgs_per_s: f64,
    pub ours_live_msgs_per_s: f64,
    pub raw_same_bytes_msgs_per_s: f64,
    /// CPU per message handled by one session, µs (median of runs): the
    /// bench process (publisher and the 10 sessions) and the nats-server.
    pub raw_cpu_us: CpuPerMessage,
    pub ours_cpu_us: CpuPerMessage,
    pub ours_live_cpu_us: CpuPerMessage,
    pub raw_same_bytes_cpu_us: CpuPerMessage,
    /// Ours' wire payload per message (envelope JSON); raw sends the bare text.
    pub ours_payload_bytes: usize,
    /// ours / raw: the figure with a target.
    pub ratio: f64,
    /// ours live only / raw.
    pub live_ratio: f64,
    /// raw same bytes / raw.
    pub same_bytes_ratio: f64,
    /// ours (stored) / raw same bytes: the agent's and the stream's share
    /// on top of carrying our bytes (target ≥ 0.8).
    pub vs_our_bytes_ratio: f64,
    /// ours live only / raw same bytes: the agent's share alone.
    pub live_vs_our_bytes_ratio: f64,
}

/// CPU per message handled by one session, µs.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuPerMessage {
    pub clients: f64,
    pub server: f64,
}

impl CpuPerMessage {
    fn median(runs: &[CpuPerMessage]) -> CpuPerMessage {
        let pick =
            |f: fn(&CpuPerMessage) -> f64| round2(median(&runs.iter().map(f).collect::<Vec<_>>()));
        CpuPerMessage {
            clients: pick(|c| c.clients),
            server: pick(|c| c.server),
        }
    }
}

pub async fn run(ctx: &Ctx, text_bytes: usize, messages: usize) -> Result<Throughput, String> {
    let n = SESSIONS;
    if ctx.fleet.len() != n {
        return Err(format!(
            "throughput needs exactly {n} sessions connected, not {}",
            ctx.fleet.len()
        ));
    }
    let shared = &ctx.fleet.shared;
    let text = fleet::text(Kind::Throughput, text_bytes);
    let raw_payload = Bytes::from(text.clone());
    let ours_payload_bytes = ctx
        .ours
        .broadcast_message(text.clone(), &ctx.sender)?
        .payload
        .len();
    let js = jetstream::new(ctx.ours.client().clone());
    let mut rates: [Vec<f64>; 4] = Default::default();
    let mut cpu: [Vec<CpuPerMessage>; 4] = Default::default();
    for rep in 0..ctx.plan.throughput_reps {
        for variant in Variant::order(rep) {
            if variant == Variant::Live {
                js.delete_stream(stream::STREAM_NAME)
                    .await
                    .map_err(|e| format!("cannot delete the stream: {e}"))?;
            }
            shared.reset_counts(n);
            let mut acks = VecDeque::with_capacity(ACK_WINDOW);
            let start = Instant::now();
            let cpu_before = (own_cpu_ns(), cpu_ns_of(ctx.server_pid));
            for i in 0..messages as u64 {
                if i % 256 == 0 && i > WINDOW {
                    caught_up(shared, n, i - WINDOW).await.map_err(|got| {
                        format!(
                            "throughput ({variant:?}): sessions stalled at {got} of {i} messages"
                        )
                    })?;
                }
                let failed = |e: &dyn std::fmt::Display| format!("publish failed: {e}");
                match variant {
                    Variant::Raw => ctx
                        .raw
                        .publish(RAW_BROADCAST, raw_payload.clone())
                        .await
                        .map_err(|e| failed(&e))?,
                    Variant::Stored => {
                        if acks.len() == ACK_WINDOW {
                            ctx.ours.stored(acks.pop_front().expect("full")).await?;
                        }
                        let m = ctx.ours.broadcast_message(text.clone(), &ctx.sender)?;
                        acks.push_back(ctx.ours.publish(&m).await?);
                    }
                    Variant::Live => {
                        let m = ctx.ours.broadcast_message(text.clone(), &ctx.sender)?;
                        ctx.ours.publish_live(&m).await?;
                    }
                    Variant::RawSameBytes => {
                        let m = ctx.ours.broadcast_message(text.clone(), &ctx.sender)?;
                        ctx.raw
                            .publish_with_headers(RAW_BROADCAST, m.headers, m.payload)
                            .await
                            .map_err(|e| failed(&e))?;
                    }
                }
            }
            for ack in acks {
                ctx.ours.stored(ack).await?;
            }
            caught_up(shared, n, messages as u64).await.map_err(|got| {
                format!(
                    "throughput ({variant:?}, {text_bytes} B): a session got only {got} of \
                     {messages} messages (lost)"
                )
            })?;
            let secs = start.elapsed().as_secs_f64();
            let handled = (messages * n) as f64;
            rates[variant as usize].push(handled / secs);
            let per_message = |ns: u64| ns as f64 / 1e3 / handled;
            cpu[variant as usize].push(CpuPerMessage {
                clients: per_message(own_cpu_ns().saturating_sub(cpu_before.0)),
                server: per_message(cpu_ns_of(ctx.server_pid).saturating_sub(cpu_before.1)),
            });
            if variant == Variant::Live {
                stream::get_or_create(&js)
                    .await
                    .map_err(|e| format!("cannot recreate the stream: {e}"))?;
            }
        }
    }
    let [raw, ours, live, same_bytes] = rates.map(|r| median(&r).round());
    let [raw_cpu_us, ours_cpu_us, ours_live_cpu_us, raw_same_bytes_cpu_us] =
        cpu.map(|c| CpuPerMessage::median(&c));
    Ok(Throughput {
        text_bytes,
        sessions: n,
        messages,
        runs: ctx.plan.throughput_reps,
        raw_msgs_per_s: raw,
        ours_msgs_per_s: ours,
        ours_live_msgs_per_s: live,
        raw_same_bytes_msgs_per_s: same_bytes,
        raw_cpu_us,
        ours_cpu_us,
        ours_live_cpu_us,
        raw_same_bytes_cpu_us,
        ours_payload_bytes,
        ratio: ratio(ours, raw),
        live_ratio: ratio(live, raw),
        same_bytes_ratio: ratio(same_bytes, raw),
        vs_our_bytes_ratio: ratio(ours, same_bytes),
        live_vs_our_bytes_ratio: ratio(live, same_bytes),
    })
}

/// Waits until each of the first `n` sessions handled `target` messages; on
/// a stall, the lowest count reached.
async fn caught_up(shared: &Shared, n: usize, target: u64) -> Result<(), u64> {
    let mut last = shared.min_count(n);
    let mut last_progress = Instant::now();
    loop {
        let min = shared.min_count(n);
        if min >= target {
            return Ok(());
        }
        if min != last {
            last = min;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > STALL_LIMIT {
            return Err(min);
        }
        let _ = tokio::time::timeout(Duration::from_millis(2), shared.progress.notified()).await;
    }
}
