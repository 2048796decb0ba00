//! Session send with receipt: one message to one session, until its
//! receipt is back. Ours is the publisher's path (receipt inbox, envelope
//! stored in the stream and acknowledged, presence check, the agent core's
//! receipt on `Receipt-To`); raw is a plain request answered by a plain
//! reply of the receipt's size.

use super::{order, Ctx, Side, TEXT_BYTES};
use crate::fleet::{self, raw_session_subject, Kind};
use crate::stats::{now_ns, ratio, Latency};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Rtt {
    pub sessions: usize,
    pub requests_each: usize,
    pub raw: Latency,
    pub ours: Latency,
    pub p50_ratio: f64,
    pub p99_ratio: f64,
}

pub async fn run(ctx: &Ctx) -> Result<Rtt, String> {
    let sessions = &ctx.fleet.sessions;
    let requests = ctx.plan.rtt_requests;
    let mut samples: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    // Request 0 of each side is a warm-up, not counted.
    for i in 0..=requests {
        // Spread over the sessions, the same one for both sides.
        let session = &sessions[(i * 7919) % sessions.len()].info.id;
        for side in order(i) {
            let text = fleet::text(Kind::Other, TEXT_BYTES);
            let start = now_ns();
            match side {
                Side::Raw => {
                    ctx.raw
                        .request(raw_session_subject(session), text.into())
                        .await
                        .map_err(|e| format!("raw request to {session} failed: {e}"))?;
                }
                Side::Ours => ctx.ours.send_to_session(session, text, &ctx.sender).await?,
            }
            if i > 0 {
                samples[side.index()].push(now_ns() - start);
            }
        }
    }
    let [raw, ours] = samples.map(Latency::of_ns);
    Ok(Rtt {
        sessions: sessions.len(),
        requests_each: requests,
        p50_ratio: ratio(ours.p50_us, raw.p50_us),
        p99_ratio: ratio(ours.p99_us, raw.p99_us),
        raw,
        ours,
    })
}
