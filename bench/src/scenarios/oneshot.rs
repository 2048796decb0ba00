//! One-shot send, as ops type it: the real `publisher send TEXT` process,
//! start to exit, against `bench-raw oneshot`, which only connects,
//! publishes the same text on `broadcast` and flushes. Runs alternate, after
//! one untimed warm-up of each (page cache); the figure is the median.

use super::{order, Side, TEXT_BYTES};
use crate::fleet::{self, Kind};
use crate::procs::{die_with_parent, Binaries};
use crate::stats::{median, percentile, ratio, round2};
use serde::Serialize;
use std::process::{Command, Stdio};
use std::time::Instant;

#[derive(Debug, Serialize)]
pub struct Oneshot {
    pub runs_each: usize,
    pub raw_ms: f64,
    pub ours_ms: f64,
    pub raw_p90_ms: f64,
    pub ours_p90_ms: f64,
    pub ratio: f64,
}

/// Blocking: spawns processes one after the other.
pub fn run(bins: &Binaries, url: &str, runs: usize) -> Result<Oneshot, String> {
    let text = fleet::text(Kind::Other, TEXT_BYTES);
    let command = |side: Side| {
        let mut cmd = match side {
            Side::Raw => {
                let mut cmd = Command::new(bins.path("bench-raw"));
                cmd.args(["oneshot", url]);
                cmd
            }
            Side::Ours => {
                let mut cmd = Command::new(bins.path("publisher"));
                cmd.args(["--server", url, "send"]);
                cmd
            }
        };
        cmd.arg(&text)
            .env_remove("NATS_URL")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        die_with_parent(&mut cmd);
        cmd
    };
    let once = |side: Side| -> Result<f64, String> {
        let start = Instant::now();
        let out = command(side)
            .output()
            .map_err(|e| format!("cannot run the {side:?} one-shot: {e}"))?;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            return Err(format!(
                "{side:?} one-shot failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(ms)
    };
    once(Side::Raw)?;
    once(Side::Ours)?;
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for rep in 0..runs {
        for side in order(rep) {
            times[side.index()].push(once(side)?);
        }
    }
    let p90 = |v: &[f64]| {
        let mut us: Vec<u64> = v.iter().map(|ms| (ms * 1000.0) as u64).collect();
        us.sort_unstable();
        round2(percentile(&us, 90.0) as f64 / 1000.0)
    };
    let raw = round2(median(&times[0]));
    let ours = round2(median(&times[1]));
    Ok(Oneshot {
        runs_each: runs,
        raw_ms: raw,
        ours_ms: ours,
        raw_p90_ms: p90(&times[0]),
        ours_p90_ms: p90(&times[1]),
        ratio: ratio(ours, raw),
    })
}
