//! One-shot send, as ops type it: the real `publisher send TEXT` process,
//! start to exit, against `bench-raw oneshot`, which only connects,
//! publishes the same text on `broadcast` and flushes. A third program,
//! `bench-raw oneshot-stored`, publishes through the stream and waits for
//! its acknowledgement, as `publisher send` must to report "stored": it
//! splits the gap into what storing costs and what the publisher adds.
//! Runs rotate, after one untimed warm-up of each (page cache; the first
//! `publisher send` also creates the stream); the figure is the median.

use super::TEXT_BYTES;
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
    pub raw_stored_ms: f64,
    pub ours_ms: f64,
    pub raw_p90_ms: f64,
    pub raw_stored_p90_ms: f64,
    pub ours_p90_ms: f64,
    /// ours / raw: the figure with a target.
    pub ratio: f64,
    /// ours / raw stored: what the publisher adds to a stored send.
    pub stored_ratio: f64,
}

#[derive(Debug, Clone, Copy)]
enum Program {
    Raw,
    RawStored,
    Publisher,
}

/// Blocking: spawns processes one after the other.
pub fn run(bins: &Binaries, url: &str, runs: usize) -> Result<Oneshot, String> {
    let text = fleet::text(Kind::Other, TEXT_BYTES);
    let command = |program: Program| {
        let mut cmd = match program {
            Program::Raw | Program::RawStored => {
                let mut cmd = Command::new(bins.path("bench-raw"));
                let verb = match program {
                    Program::Raw => "oneshot",
                    _ => "oneshot-stored",
                };
                cmd.args([verb, url]);
                cmd
            }
            Program::Publisher => {
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
    let once = |program: Program| -> Result<f64, String> {
        let start = Instant::now();
        let out = command(program)
            .output()
            .map_err(|e| format!("cannot run the {program:?} one-shot: {e}"))?;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        if !out.status.success() {
            return Err(format!(
                "{program:?} one-shot failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(ms)
    };
    // The publisher first: it creates the stream the stored variant needs.
    let all = [Program::Publisher, Program::Raw, Program::RawStored];
    for program in all {
        once(program)?;
    }
    let mut times: [Vec<f64>; 3] = Default::default();
    for rep in 0..runs {
        for i in 0..3 {
            let program = all[(i + rep) % 3];
            times[program as usize].push(once(program)?);
        }
    }
    let p90 = |v: &[f64]| {
        let mut us: Vec<u64> = v.iter().map(|ms| (ms * 1000.0) as u64).collect();
        us.sort_unstable();
        round2(percentile(&us, 90.0) as f64 / 1000.0)
    };
    let [raw, raw_stored, ours] = times.each_ref().map(|t| round2(median(t)));
    Ok(Oneshot {
        runs_each: runs,
        raw_ms: raw,
        raw_stored_ms: raw_stored,
        ours_ms: ours,
        raw_p90_ms: p90(&times[0]),
        raw_stored_p90_ms: p90(&times[1]),
        ours_p90_ms: p90(&times[2]),
        ratio: ratio(ours, raw),
        stored_ratio: ratio(ours, raw_stored),
    })
}
