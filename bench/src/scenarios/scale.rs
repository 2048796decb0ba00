//! Scale: the nats-server's memory as the fleet grows, so the cost of one
//! more session on the broker is known.
//!
//! How connections are counted: each simulated session is one NATS
//! connection carrying both the agent (`broadcast`, `session.<id>`, its
//! presence subject, `sessions.ping`) and the raw baseline (`raw.broadcast`,
//! `raw.session.<id>`, `raw.ping`): the figure per session is one
//! connection with seven subscriptions, ours and raw alike. The bench's own
//! publisher and raw clients (two connections) are in the base.

use crate::procs::ProcSample;
use crate::stats::round2;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Scale {
    pub sessions: usize,
    /// nats-server resident memory with that many sessions connected, KiB.
    pub server_rss_kib: u64,
    /// (RSS now − RSS at the base) / (sessions − base sessions).
    pub server_kib_per_session: f64,
}

/// The server's memory now, with `sessions` connected, against `base`
/// (RSS KiB, sessions) measured earlier in the same run.
pub fn sample(server_pid: u32, sessions: usize, base: (u64, usize)) -> Result<Scale, String> {
    let rss = ProcSample::of(server_pid)?.rss_kib;
    let added = sessions.saturating_sub(base.1).max(1) as f64;
    Ok(Scale {
        sessions,
        server_rss_kib: rss,
        server_kib_per_session: round2(rss.saturating_sub(base.0) as f64 / added),
    })
}
