//! The idle agent: the real `subscriber --output json` process, connected
//! and subscribed, left alone for a while (60 s; 3 s with --quick). What
//! it costs a laptop: resident memory, CPU time, and wake-ups (context
//! switches), which show whether it polls. Its baseline is `bench-raw
//! idle`: connect, subscribe to the same two subjects, wait.
//!
//! Both run against their own nats-server so that nothing the other
//! scenarios publish reaches them and they can run meanwhile.

use crate::procs::{die_with_parent, ms_per_tick, Binaries, ChildGuard, ProcSample};
use crate::stats::{ratio, round2};
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Both processes print this on stderr once the server has their subscriptions.
const READY_LINE: &str = "subscribed to broadcast";

/// Longest wait for that line.
const READY_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Serialize)]
pub struct Idle {
    pub seconds: f64,
    pub agent: IdleProcess,
    pub raw: IdleProcess,
    pub rss_ratio: f64,
}

/// One process over the idle window.
#[derive(Debug, Serialize)]
pub struct IdleProcess {
    /// Resident memory at the end of the window.
    pub rss_kib: u64,
    /// Peak resident memory since start.
    pub hwm_kib: u64,
    /// CPU time used during the window.
    pub cpu_ms: f64,
    /// Context switches during the window (wake-ups and preemptions).
    pub wakeups: u64,
    pub threads: u64,
}

/// Blocking: starts both, waits until both are subscribed, samples, waits
/// `window`, samples again, stops both.
pub fn run(bins: &Binaries, url: &str, window: Duration) -> Result<Idle, String> {
    let state = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut agent_cmd = Command::new(bins.path("subscriber"));
    agent_cmd
        .args([
            "--output",
            "json",
            "--server",
            url,
            "--session-id",
            "bench-idle",
        ])
        .arg("--state-dir")
        .arg(state.path());
    let mut raw_cmd = Command::new(bins.path("bench-raw"));
    raw_cmd.args(["idle", url]);
    let agent = start(agent_cmd, state.path())?;
    let raw = start(raw_cmd, state.path())?;
    let begin = [ProcSample::of(agent.id())?, ProcSample::of(raw.id())?];
    let start = Instant::now();
    std::thread::sleep(window);
    let end = [ProcSample::of(agent.id())?, ProcSample::of(raw.id())?];
    let seconds = start.elapsed().as_secs_f64();
    let summary = |i: usize| {
        let (b, e) = (begin[i], end[i]);
        let cpu_ms = match (b.cpu_ns, e.cpu_ns) {
            // Precise when the kernel keeps schedstat and no thread ended.
            (Some(b_ns), Some(e_ns)) if e.threads >= b.threads && e_ns >= b_ns => {
                (e_ns - b_ns) as f64 / 1e6
            }
            _ => e.cpu_ticks.saturating_sub(b.cpu_ticks) as f64 * ms_per_tick(),
        };
        IdleProcess {
            rss_kib: e.rss_kib,
            hwm_kib: e.hwm_kib,
            cpu_ms: round2(cpu_ms),
            wakeups: e.switches.saturating_sub(b.switches),
            threads: e.threads,
        }
    };
    let (agent_fig, raw_fig) = (summary(0), summary(1));
    drop((agent, raw));
    Ok(Idle {
        seconds: round2(seconds),
        rss_ratio: ratio(agent_fig.rss_kib as f64, raw_fig.rss_kib as f64),
        agent: agent_fig,
        raw: raw_fig,
    })
}

/// A started process, once it printed [`READY_LINE`].
struct Started {
    guard: ChildGuard,
    /// Keeps reading stderr so the process never blocks on it.
    _drain: std::thread::JoinHandle<()>,
}

impl Started {
    fn id(&self) -> u32 {
        self.guard.0.id()
    }
}

fn start(mut cmd: Command, home: &Path) -> Result<Started, String> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    cmd.env_remove("NATS_URL")
        .env_remove("RUST_LOG")
        // Whatever the process would keep in the user's directories goes here.
        .env("HOME", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))?;
    let stderr = child.stderr.take().expect("piped");
    let guard = ChildGuard(child);
    let (tx, rx) = mpsc::channel();
    let drain = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + READY_LIMIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(READY_LINE) => break,
            Ok(line) => seen.push(line),
            Err(_) => {
                return Err(format!(
                    "{name} did not print {READY_LINE:?} within {READY_LIMIT:?}; stderr:\n{}",
                    seen.join("\n")
                ))
            }
        }
    }
    Ok(Started {
        guard,
        _drain: drain,
    })
}
