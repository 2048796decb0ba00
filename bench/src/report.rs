//! Everything one run measured, checked against the targets, and
//! printed either as markdown tables (ready for BENCHMARKS.md) or as one
//! JSON object (`--json`). Targets are reported, never enforced: timings on
//! a shared machine must not fail a build.

use crate::procs::Machine;
use crate::scenarios::cluster::ClusterScale;
use crate::scenarios::fanout::Fanout;
use crate::scenarios::idle::Idle;
use crate::scenarios::listing::Listing;
use crate::scenarios::oneshot::Oneshot;
use crate::scenarios::rtt::Rtt;
use crate::scenarios::scale::Scale;
use crate::scenarios::status::Status;
use crate::scenarios::storm::Storm;
use crate::scenarios::throughput::Throughput;
use crate::scenarios::wait::BroadcastWait;
use serde::Serialize;
use std::fmt::Write;

/// Idle resident memory allowed: 10 MiB.
const IDLE_RSS_LIMIT_KIB: u64 = 10 * 1024;
/// "No busy polling": under 0.1 % of one core, and at most one wake-up a second.
const IDLE_CPU_SHARE_LIMIT: f64 = 0.001;
const IDLE_WAKEUPS_PER_S_LIMIT: f64 = 1.0;

#[derive(Debug, Default, Serialize)]
pub struct Results {
    pub machine: Option<Machine>,
    pub command: String,
    pub quick: bool,
    pub sessions: Vec<usize>,
    pub wall_s: f64,

    // The figures the issue names, at the session counts it names.
    /// Fan-out p99 ratio at 1,000 sessions (else the count nearest to it).
    pub fanout_p99_ratio: Option<f64>,
    pub fanout_p99_ratio_sessions: Option<usize>,
    /// Throughput ratio with 256 B texts.
    pub throughput_ratio: Option<f64>,
    pub throughput_ratio_4k: Option<f64>,
    pub session_rtt_p99_ratio: Option<f64>,
    pub oneshot_ratio: Option<f64>,
    /// Listing at the largest session count run.
    pub sessions_listed: Option<usize>,
    pub sessions_list_ms: Option<f64>,
    pub agent_idle_rss_kib: Option<u64>,
    pub agent_idle_cpu_ms: Option<f64>,
    pub agent_idle_wakeups: Option<u64>,
    /// Throughput, ours (stored) / raw carrying our bytes (256 B).
    pub throughput_vs_our_bytes: Option<f64>,
    /// Reconnect storm at the largest count run: ours reconnected (every
    /// session live again) / raw reconnected.
    pub storm_reconnect_ratio: Option<f64>,
    /// Seconds from the restarted server's greeting until every session
    /// showed every storm message (largest count run).
    pub storm_all_shown_s: Option<f64>,
    /// Most sessions connected at once in this run.
    pub sessions_max: Option<usize>,
    /// nats-server memory per session at the largest count, KiB.
    pub server_kib_per_session: Option<f64>,
    /// `publisher status` / `publisher sessions` wall time over a fleet
    /// that all answered (the largest count run).
    pub status_ratio: Option<f64>,
    /// JetStream writes the ledger adds per broadcast, at the largest
    /// fan-out count (one `delivered` row per session).
    pub ledger_writes_per_broadcast: Option<f64>,
    /// Fan-out p99 with the ledger on / off, at the count of
    /// `fanout_p99_ratio`.
    pub fanout_ledger_p99_ratio: Option<f64>,

    // Everything.
    pub oneshot: Option<Oneshot>,
    pub throughput: Vec<Throughput>,
    pub session_rtt: Option<Rtt>,
    pub fanout: Vec<Fanout>,
    pub listing: Vec<Listing>,
    pub broadcast_wait: Vec<BroadcastWait>,
    pub status: Option<Status>,
    pub agent_idle: Option<Idle>,
    pub storm: Vec<Storm>,
    pub scale: Vec<Scale>,
    /// Past one process's open-file limit: a cluster.
    pub cluster: Vec<ClusterScale>,

    pub targets: Vec<TargetCheck>,
    /// Functional failures: what makes the bench exit non-zero.
    pub failures: Vec<String>,
    pub ok: bool,
}

/// One target of the issue and how this run did.
#[derive(Debug, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub figure: String,
    /// `None`: not measured in this run.
    pub met: Option<bool>,
}

impl Results {
    /// Fills the headline figures and the target checks from the details.
    pub fn conclude(&mut self) {
        let near_1000 = self.fanout.iter().min_by_key(|f| f.sessions.abs_diff(1000));
        self.fanout_p99_ratio = near_1000.map(|f| f.p99_ratio);
        self.fanout_p99_ratio_sessions = near_1000.map(|f| f.sessions);
        self.fanout_ledger_p99_ratio = near_1000.map(|f| f.ledger_p99_ratio);
        self.ledger_writes_per_broadcast = self
            .fanout
            .iter()
            .max_by_key(|f| f.sessions)
            .map(|f| f.ledger_writes_per_broadcast);
        self.status_ratio = self.status.as_ref().and_then(|s| s.ratio);
        let tp = |bytes: usize| {
            self.throughput
                .iter()
                .find(|t| t.text_bytes == bytes)
                .map(|t| t.ratio)
        };
        self.throughput_ratio = tp(256);
        self.throughput_ratio_4k = tp(4096);
        self.session_rtt_p99_ratio = self.session_rtt.as_ref().map(|r| r.p99_ratio);
        self.oneshot_ratio = self.oneshot.as_ref().map(|o| o.ratio);
        let largest = self.listing.iter().max_by_key(|l| l.sessions);
        self.sessions_listed = largest.map(|l| l.listed);
        self.sessions_list_ms = largest.map(|l| l.list_ms);
        self.agent_idle_rss_kib = self.agent_idle.as_ref().map(|i| i.agent.rss_kib);
        self.agent_idle_cpu_ms = self.agent_idle.as_ref().map(|i| i.agent.cpu_ms);
        self.agent_idle_wakeups = self.agent_idle.as_ref().map(|i| i.agent.wakeups);
        self.throughput_vs_our_bytes = self
            .throughput
            .iter()
            .find(|t| t.text_bytes == 256)
            .map(|t| t.vs_our_bytes_ratio);
        let storm = self.storm.iter().max_by_key(|s| s.sessions);
        self.storm_reconnect_ratio = storm.map(|s| s.ratio);
        self.storm_all_shown_s = storm.map(|s| s.ours_all_shown_s);
        let scale = self.scale.iter().max_by_key(|s| s.sessions);
        self.sessions_max = self
            .scale
            .iter()
            .map(|s| s.sessions)
            .chain(self.storm.iter().map(|s| s.sessions))
            .chain(self.cluster.iter().map(|c| c.sessions))
            .max();
        // The slope between the smallest and the largest fleet: the base
        // after the throughput runs holds their garbage (Go frees it late).
        let smallest = self.scale.iter().min_by_key(|s| s.sessions);
        self.server_kib_per_session = match (smallest, scale) {
            (Some(a), Some(b)) if b.sessions > a.sessions => Some(crate::stats::round2(
                b.server_rss_kib.saturating_sub(a.server_rss_kib) as f64
                    / (b.sessions - a.sessions) as f64,
            )),
            (_, s) => s.map(|s| s.server_kib_per_session),
        };
        // At the largest count, which a cluster holds when it ran.
        if let Some(c) = self.cluster.iter().max_by_key(|c| c.sessions) {
            if self.scale.iter().all(|s| s.sessions < c.sessions) {
                self.server_kib_per_session = Some(c.server_kib_per_session);
            }
        }
        self.targets = self.checks();
        self.ok = self.failures.is_empty();
    }

    fn checks(&self) -> Vec<TargetCheck> {
        let mut checks = Vec::new();
        for f in &self.fanout {
            checks.push(TargetCheck {
                target: format!("fan-out p99 ≤ 1.5× raw ({} sessions)", f.sessions),
                figure: format!(
                    "{}× ({} vs {} µs)",
                    f.p99_ratio, f.ours.p99_us, f.raw.p99_us
                ),
                met: Some(f.p99_ratio <= 1.5),
            });
        }
        if let Some(s) = &self.status {
            checks.push(TargetCheck {
                target: format!(
                    "`publisher status` ≤ 2× `publisher sessions` ({} sessions, all answered)",
                    s.sessions
                ),
                figure: match (s.ratio, s.status_ms) {
                    (Some(r), Some(ms)) => format!("{r}× ({ms} vs {} ms)", s.sessions_ms),
                    _ => s.skipped.clone().unwrap_or_default(),
                },
                met: s.ratio.map(|r| r <= 2.0),
            });
        }
        for t in &self.throughput {
            checks.push(TargetCheck {
                target: format!("throughput ≥ 0.8× raw ({} B)", t.text_bytes),
                figure: format!(
                    "{}× ({:.0} vs {:.0} msg/s)",
                    t.ratio, t.ours_msgs_per_s, t.raw_msgs_per_s
                ),
                met: Some(t.ratio >= 0.8),
            });
        }
        for t in &self.throughput {
            checks.push(TargetCheck {
                target: format!("throughput ≥ 0.8× raw carrying our bytes ({} B)", t.text_bytes),
                figure: format!(
                    "{}× ({:.0} vs {:.0} msg/s); live only {}×",
                    t.vs_our_bytes_ratio,
                    t.ours_msgs_per_s,
                    t.raw_same_bytes_msgs_per_s,
                    t.live_vs_our_bytes_ratio
                ),
                met: Some(t.vs_our_bytes_ratio >= 0.8),
            });
        }
        for s in &self.storm {
            checks.push(TargetCheck {
                target: format!(
                    "reconnect storm: back ≤ 2× raw, every message shown once ({} sessions)",
                    s.sessions
                ),
                figure: format!(
                    "{}× ({} vs {} s); all shown at {} s ({}× raw); {} shown twice, {} missing",
                    s.ratio,
                    s.ours_reconnected_s,
                    s.raw_reconnected_s,
                    s.ours_all_shown_s,
                    s.all_shown_ratio,
                    s.duplicates,
                    s.missing
                ),
                met: Some(s.ratio <= 2.0 && s.duplicates == 0 && s.missing == 0),
            });
        }
        if let Some(o) = &self.oneshot {
            checks.push(TargetCheck {
                target: "one-shot publisher ≤ 1.2× raw".into(),
                figure: format!("{}× ({} vs {} ms)", o.ratio, o.ours_ms, o.raw_ms),
                met: Some(o.ratio <= 1.2),
            });
            checks.push(TargetCheck {
                target: "one-shot publisher ≤ 1.1× raw stored".into(),
                figure: format!(
                    "{}× ({} vs {} ms)",
                    o.stored_ratio, o.ours_ms, o.raw_stored_ms
                ),
                met: Some(o.stored_ratio <= 1.1),
            });
        }
        let at_10k = self.listing.iter().find(|l| l.sessions >= 10_000);
        let reached_10k = self.broadcast_wait.iter().find(|w| w.sessions >= 10_000);
        checks.push(TargetCheck {
            target: "10,000 sessions listed in one call and reached by one broadcast".into(),
            figure: match (at_10k, reached_10k) {
                (Some(l), Some(w)) => format!(
                    "listed {} of {}; `send --wait` reached {} of {}",
                    l.listed,
                    l.sessions,
                    w.publisher.delivered + w.publisher.also_delivered,
                    w.sessions
                ),
                (Some(l), None) => format!(
                    "listed {} of {}; broadcast not measured",
                    l.listed, l.sessions
                ),
                _ => "not run at 10,000 sessions".into(),
            },
            met: at_10k.map(|l| {
                l.listed == l.sessions
                    && reached_10k.is_some_and(|w| {
                        w.publisher.delivered + w.publisher.also_delivered == w.sessions as u64
                    })
            }),
        });
        for c in &self.cluster {
            let reached = c.publisher.delivered + c.publisher.also_delivered;
            checks.push(TargetCheck {
                target: format!(
                    "{} sessions ({} clustered servers) listed in one call and reached by one \
                     broadcast",
                    c.sessions, c.nodes
                ),
                figure: format!(
                    "listed {} of {}; `send --wait` reached {reached}; {} KiB per session on the \
                     servers",
                    c.listed, c.sessions, c.server_kib_per_session
                ),
                met: Some(c.listed == c.sessions && reached == c.sessions as u64),
            });
        }
        if let Some(idle) = &self.agent_idle {
            let a = &idle.agent;
            checks.push(TargetCheck {
                target: "idle agent RSS ≤ 10 MiB".into(),
                figure: format!("{} KiB ({:.1} MiB)", a.rss_kib, a.rss_kib as f64 / 1024.0),
                met: Some(a.rss_kib <= IDLE_RSS_LIMIT_KIB),
            });
            let share = a.cpu_ms / (idle.seconds * 1000.0);
            let per_s = a.wakeups as f64 / idle.seconds;
            checks.push(TargetCheck {
                target: "idle agent: no busy polling (CPU < 0.1 %, ≤ 1 wake-up/s)".into(),
                figure: format!(
                    "{} ms CPU and {} wake-ups in {} s",
                    a.cpu_ms, a.wakeups, idle.seconds
                ),
                met: Some(share < IDLE_CPU_SHARE_LIMIT && per_s <= IDLE_WAKEUPS_PER_S_LIMIT),
            });
        }
        checks
    }

    /// The results as markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        if let Some(m) = &self.machine {
            let _ = writeln!(
                w,
                "Machine: {} cores ({}), {} GiB memory, Linux {}, {}.  ",
                m.cores, m.cpu, m.memory_gib, m.kernel, m.nats_server
            );
        }
        let _ = writeln!(w, "Command: `{}` ({:.0} s).\n", self.command, self.wall_s);

        let _ = writeln!(w, "#### Targets\n");
        let _ = writeln!(w, "| target | this run | met |\n|---|---|---|");
        for c in &self.targets {
            let met = match c.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "n/a",
            };
            let _ = writeln!(w, "| {} | {} | {met} |", c.target, c.figure);
        }

        if !self.fanout.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Broadcast fan-out latency, publish → handled by every session \
                 (256 B text; µs; p50, p99 and max over the sessions of a round, median over rounds)\n"
            );
            let _ = writeln!(
                w,
                "| sessions | rounds | raw p50 | raw p99 | raw max | ours p50 | ours p99 | ours max \
                 | p99 ratio | raw, our bytes: p99 | ratio | ours, ledger off: p99 | on / off \
                 | ledger writes per broadcast (min–max) | pooled p99, raw / ours \
                 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for f in &self.fanout {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | **{}×** | {} | {}× | {} | {}× | {} ({}–{}) | {} / {} |",
                    f.sessions,
                    f.rounds,
                    f.raw.p50_us,
                    f.raw.p99_us,
                    f.raw.max_us,
                    f.ours.p50_us,
                    f.ours.p99_us,
                    f.ours.max_us,
                    f.p99_ratio,
                    f.raw_same_bytes.p99_us,
                    f.same_bytes_p99_ratio,
                    f.ours_ledger_off.p99_us,
                    f.ledger_p99_ratio,
                    f.ledger_writes_per_broadcast,
                    f.ledger_writes_min_max[0],
                    f.ledger_writes_min_max[1],
                    f.pooled_p99_us[0],
                    f.pooled_p99_us[1]
                );
            }
        }

        if !self.throughput.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Sustained broadcast throughput to 10 sessions (messages handled per \
                 second, all sessions; median of runs)\n"
            );
            let _ = writeln!(
                w,
                "| text | messages × runs | raw | ours (stored) | ratio | ours, live only | live ratio \
                 | raw, our bytes | ratio | ours / our bytes (live) | ours payload \
                 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for t in &self.throughput {
                let _ = writeln!(
                    w,
                    "| {} B | {} × {} | {:.0} | {:.0} | **{}×** | {:.0} | {}× | {:.0} | {}× | **{}×** ({}×) | {} B |",
                    t.text_bytes,
                    t.messages,
                    t.runs,
                    t.raw_msgs_per_s,
                    t.ours_msgs_per_s,
                    t.ratio,
                    t.ours_live_msgs_per_s,
                    t.live_ratio,
                    t.raw_same_bytes_msgs_per_s,
                    t.same_bytes_ratio,
                    t.vs_our_bytes_ratio,
                    t.live_vs_our_bytes_ratio,
                    t.ours_payload_bytes
                );
            }
            let _ = writeln!(
                w,
                "\nCPU per message handled by one session (µs; clients = the bench process: \
                 publisher and sessions; server = nats-server):\n"
            );
            let _ = writeln!(
                w,
                "| text | raw: clients / server | raw, our bytes | ours, live only | ours (stored) \
                 |\n|---:|---:|---:|---:|---:|"
            );
            for t in &self.throughput {
                let c = |c: &crate::scenarios::throughput::CpuPerMessage| {
                    format!("{} / {}", c.clients, c.server)
                };
                let _ = writeln!(
                    w,
                    "| {} B | {} | {} | {} | {} |",
                    t.text_bytes,
                    c(&t.raw_cpu_us),
                    c(&t.raw_same_bytes_cpu_us),
                    c(&t.ours_live_cpu_us),
                    c(&t.ours_cpu_us)
                );
            }
        }

        if let Some(r) = &self.session_rtt {
            let _ = writeln!(w, "\n#### Session send with receipt, round trip (µs)\n");
            let _ = writeln!(
                w,
                "| sessions | sends each | raw p50 | raw p99 | ours p50 | ours p99 | p50 ratio | p99 ratio \
                 |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {}× | {}× |",
                r.sessions,
                r.requests_each,
                r.raw.p50_us,
                r.raw.p99_us,
                r.ours.p50_us,
                r.ours.p99_us,
                r.p50_ratio,
                r.p99_ratio
            );
        }

        if !self.listing.is_empty() {
            let _ = writeln!(
                w,
                "\n#### `sessions` listing (`discover` with the default 1 s wait; then the time \
                 until the N-th answer, median)\n"
            );
            let _ = writeln!(
                w,
                "| sessions | listed | `discover` wall ms | raw: all answers ms | ours: all answers ms \
                 | ratio |\n|---:|---:|---:|---:|---:|---:|"
            );
            for l in &self.listing {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {}× |",
                    l.sessions,
                    l.listed,
                    l.list_ms,
                    l.raw_complete_ms,
                    l.ours_complete_ms,
                    l.complete_ratio
                );
            }
        }

        if !self.broadcast_wait.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Broadcast `--wait`: every receipt collected (ms, median), and the real \
                 `publisher send --wait` end to end\n"
            );
            let _ = writeln!(
                w,
                "| sessions | raw | ours | ratio | `publisher send --wait` wall ms | listed | delivered \
                 |\n|---:|---:|---:|---:|---:|---:|---:|"
            );
            for b in &self.broadcast_wait {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {}× | {} | {} | {} |",
                    b.sessions,
                    b.raw_ms,
                    b.ours_ms,
                    b.ratio,
                    b.publisher.wall_ms,
                    b.publisher.expected,
                    b.publisher.delivered + b.publisher.also_delivered
                );
            }
        }

        if let Some(s) = &self.status {
            let _ = writeln!(
                w,
                "\n#### `publisher status` over a send every session answered, and `publisher \
                 sessions` over the same fleet (process start → exit, ms, median)\n"
            );
            let _ = writeln!(
                w,
                "| sessions | ledger messages | written in ms | runs each | `sessions --json` \
                 | listed | `status --json` | answered | ratio |\n\
                 |---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            let or_skipped = |v: Option<String>| v.unwrap_or_else(|| "skipped".into());
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | **{}** |",
                s.sessions,
                s.ledger_messages,
                s.fill_ms,
                s.reps,
                s.sessions_ms,
                s.listed,
                or_skipped(s.status_ms.map(|v| v.to_string())),
                or_skipped(s.answered.map(|v| v.to_string())),
                or_skipped(s.ratio.map(|v| format!("{v}×")))
            );
            if let Some(why) = &s.skipped {
                let _ = writeln!(w, "\n{why}.");
            }
        }

        if let Some(o) = &self.oneshot {
            let _ = writeln!(w, "\n#### One-shot send process, start → exit (ms)\n");
            let _ = writeln!(
                w,
                "| runs each | raw median (p90) | raw stored median (p90) | `publisher send` median (p90) \
                 | ratio | vs raw stored |\n|---:|---:|---:|---:|---:|---:|"
            );
            let _ = writeln!(
                w,
                "| {} | {} ({}) | {} ({}) | {} ({}) | **{}×** | {}× |",
                o.runs_each,
                o.raw_ms,
                o.raw_p90_ms,
                o.raw_stored_ms,
                o.raw_stored_p90_ms,
                o.ours_ms,
                o.ours_p90_ms,
                o.ratio,
                o.stored_ratio
            );
        }

        if !self.storm.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Reconnect storm: broker killed and restarted on the same store (s from \
                 the restarted server's greeting, or the first connection back if earlier)\n"
            );
            let _ = writeln!(
                w,
                "| sessions | messages | raw: all back | ours: all back | ratio | ours: all shown \
                 | ratio to raw | shown twice | missing | resends | server peak RSS KiB \
                 | JetStream API requests (errors) | ledger writes \
                 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            );
            for s in &self.storm {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | **{}×** | {} | {}× | {} | {} | {} | {} | {} ({}) | {} |",
                    s.sessions,
                    s.messages,
                    s.raw_reconnected_s,
                    s.ours_reconnected_s,
                    s.ratio,
                    s.ours_all_shown_s,
                    s.all_shown_ratio,
                    s.duplicates,
                    s.missing,
                    s.resends,
                    s.server_peak_rss_kib,
                    s.js_api_requests,
                    s.js_api_errors,
                    s.ledger_writes
                );
            }
        }

        if !self.scale.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Server memory per session (one connection per session, ours and raw \
                 on it)\n"
            );
            let _ = writeln!(
                w,
                "| sessions | nats-server RSS KiB | KiB per session |\n|---:|---:|---:|"
            );
            for s in &self.scale {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} |",
                    s.sessions, s.server_rss_kib, s.server_kib_per_session
                );
            }
        }

        if !self.cluster.is_empty() {
            let _ = writeln!(
                w,
                "\n#### Scale out: sessions on a cluster, one child process of sessions per \
                 server; `publisher` through server 0\n"
            );
            let _ = writeln!(
                w,
                "| sessions | servers | connecting s | routes settled s | `sessions` listed \
                 | its wall ms | `send --wait` listed / delivered | its wall ms \
                 | servers' RSS KiB | KiB per session | sessions' processes RSS KiB |\n\
                 |---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
            );
            for c in &self.cluster {
                let _ = writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} |",
                    c.sessions,
                    c.nodes,
                    c.connect_s,
                    c.settle_s,
                    c.listed,
                    c.listing_ms,
                    c.publisher.expected,
                    c.publisher.delivered + c.publisher.also_delivered,
                    c.publisher.wall_ms,
                    c.servers_rss_kib
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" + "),
                    c.server_kib_per_session,
                    c.sessions_rss_kib
                );
            }
        }

        if let Some(i) = &self.agent_idle {
            let _ = writeln!(w, "\n#### Idle agent process over {} s\n", i.seconds);
            let _ = writeln!(
                w,
                "| process | RSS KiB | peak RSS KiB | CPU ms | wake-ups | threads |\n|---|---:|---:|---:|---:|---:|"
            );
            for (name, p) in [("`subscriber`", &i.agent), ("`bench-raw idle`", &i.raw)] {
                let _ = writeln!(
                    w,
                    "| {name} | {} | {} | {} | {} | {} |",
                    p.rss_kib, p.hwm_kib, p.cpu_ms, p.wakeups, p.threads
                );
            }
        }

        if !self.failures.is_empty() {
            let _ = writeln!(w, "\n#### Failures\n");
            for f in &self.failures {
                let _ = writeln!(w, "- {f}");
            }
        }
        out
    }
}
