// The bench itself, compiled on Linux only: included by main.rs (whose
// `//!` says what it is), so its modules stay at the crate root.

mod fleet;
mod ledger;
mod ours;
mod procs;
mod report;
mod scenarios;
mod server;
mod stats;

use clap::Parser;
use procs::{Binaries, Machine};
use report::Results;
use scenarios::{
    cluster, fanout, idle, listing, oneshot, rtt, scale, status, storm, throughput, wait, Ctx,
    Plan,
};
use server::Server;
use std::time::{Duration, Instant};

/// Benchmarks of remote-message against raw NATS, side by side in one run.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Session counts, comma-separated (each ≥ 10)
    /// [default: 100,1000,5000,10000; with --quick: 50,100]
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    sessions: Option<Vec<usize>>,

    /// Every scenario at small N with few iterations, in under a minute (for CI)
    #[arg(long)]
    quick: bool,

    /// Print one JSON object instead of markdown tables
    #[arg(long)]
    json: bool,

    /// Seconds the idle agent is watched [default: 60; with --quick: 3]
    #[arg(long, value_name = "SECS")]
    idle_secs: Option<u64>,

    /// Session counts of the reconnect storm, comma-separated
    /// [default: 1000,10000; with --quick: 100]
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    storm_sessions: Option<Vec<usize>>,

    /// Session counts on a cluster of 3 nats-servers with a child process
    /// each (past one process's open-file limit), comma-separated
    /// [default: 50000; with --quick: 300]
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    cluster_sessions: Option<Vec<usize>>,

    /// The child side of the cluster scenario: PORT,FIRST,COUNT
    #[arg(long, hide = true, value_delimiter = ',', value_name = "PORT,FIRST,COUNT")]
    child_fleet: Option<Vec<usize>>,

    /// Use the binaries next to this one as they are; do not run cargo build
    #[arg(long)]
    no_build: bool,

    /// Run only these scenarios, comma-separated (e.g. to profile one)
    #[arg(long, value_delimiter = ',', value_name = "SCENARIO,...")]
    only: Vec<Scenario>,
}

/// The scenarios, for --only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    Oneshot,
    Throughput,
    Rtt,
    Fanout,
    Listing,
    Wait,
    Status,
    Idle,
    Storm,
    Cluster,
}

fn main() {
    let args = Args::parse();
    std::process::exit(match run(args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("bench: {e}");
            1
        }
    });
}

/// Runs everything; `Ok(false)` when something is functionally broken.
fn run(args: Args) -> Result<bool, String> {
    if let Some(child) = &args.child_fleet {
        let &[port, first, count] = child.as_slice() else {
            return Err("--child-fleet PORT,FIRST,COUNT".into());
        };
        let port = u16::try_from(port).map_err(|_| "--child-fleet: a port".to_owned())?;
        cluster::child(port, first, count)?;
        return Ok(true);
    }
    let plan = Plan::new(
        args.quick,
        args.sessions.clone(),
        args.storm_sessions.clone(),
        args.cluster_sessions.clone(),
        args.idle_secs.map(Duration::from_secs),
    );
    if let Some(small) = plan.sessions.iter().find(|&&n| n < throughput::SESSIONS) {
        return Err(format!(
            "--sessions {small}: each count must be at least 10"
        ));
    }
    let largest = plan
        .sessions
        .iter()
        .chain(&plan.storm)
        .copied()
        .max()
        .unwrap_or(0);
    // One descriptor per session connection, plus spares.
    server::raise_nofile(largest as u64 + 512)?;
    let bins = Binaries::locate(!args.no_build)?;
    let began = Instant::now();
    if cfg!(debug_assertions) {
        eprintln!("bench: warning: a debug build; run with --release for meaningful figures");
    }
    let mut results = Results {
        machine: Some(Machine::probe()),
        command: command_line(),
        quick: plan.quick,
        sessions: plan.sessions.clone(),
        ..Default::default()
    };
    // Started here, on the main thread, which outlives them.
    let main_server = Server::start_for("main", largest)?;
    let idle_server = Server::start("idle")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let selected = |s: Scenario| args.only.is_empty() || args.only.contains(&s);
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = scenarios(&mut results, plan, &bins, &main_server, &idle_server, &selected) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        }
    });
    runtime.shutdown_background();
    if let Err(e) = outcome {
        results.failures.push(e);
    }
    if !results.failures.is_empty() {
        let log = main_server.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!(
            "bench: nats-server log, last lines:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    drop(main_server);
    drop(idle_server);
    results.wall_s = began.elapsed().as_secs_f64().round();
    results.conclude();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).expect("results serialize")
        );
    } else {
        print!("{}", results.markdown());
    }
    for f in &results.failures {
        eprintln!("bench: FAILED: {f}");
    }
    Ok(results.ok)
}

/// Every scenario in order; a failing scenario is recorded and the rest
/// still run, unless the sessions themselves cannot be connected.
async fn scenarios(
    results: &mut Results,
    plan: Plan,
    bins: &Binaries,
    main: &Server,
    idle_server: &Server,
    selected: &dyn Fn(Scenario) -> bool,
) -> Result<(), String> {
    let url = main.url();
    let began = Instant::now();
    let progress = |what: &str| eprintln!("bench: [{:6.1}s] {what}", began.elapsed().as_secs_f64());

    // The idle agent runs meanwhile on its own server, with the ledger
    // set up as `publisher setup` does.
    if selected(Scenario::Idle) {
        let client = async_nats::connect(idle_server.url())
            .await
            .map_err(|e| format!("idle server connection: {e}"))?;
        ledger::set_up(&client).await?;
    }
    let idle_task = selected(Scenario::Idle).then(|| {
        let (bins, url, window) = (bins.clone(), idle_server.url(), plan.idle);
        tokio::task::spawn_blocking(move || idle::run(&bins, &url, window))
    });

    // Process start-up first, before any session loads the machine.
    if selected(Scenario::Oneshot) {
        progress(&format!("one-shot send, {} runs each", plan.oneshot_runs));
        let (bins, url, runs) = (bins.clone(), url.clone(), plan.oneshot_runs);
        let oneshot = tokio::task::spawn_blocking(move || oneshot::run(&bins, &url, runs))
            .await
            .map_err(|e| format!("one-shot task: {e}"))?;
        record(results, oneshot, |r, o| r.oneshot = Some(o));
    }

    let connection = remote_message_cli::connection::ConnectionArgs {
        server: url.clone(),
        ..Default::default()
    };
    let link = publisher::link::Link::open(&connection)
        .await
        .map_err(|e| format!("publisher connection: {e}"))?;
    let raw = async_nats::connect(url.as_str())
        .await
        .map_err(|e| format!("raw connection: {e}"))?;
    let mut ctx = Ctx {
        fleet: fleet::Fleet::new(main.port(), plan.sessions.last().copied().unwrap_or(0)),
        ours: ours::Publisher::new(link).await?,
        raw,
        server_pid: main.pid(),
        sender: remote_message_cli::identity::user_at_host(),
        plan: plan.clone(),
    };

    ctx.fleet.grow_to(throughput::SESSIONS).await?;
    // Throughput without the ledger (see BENCHMARKS.md), which the one-shot
    // `publisher send` created.
    ledger::take_down(ctx.ours.client()).await?;
    let throughput_runs = if selected(Scenario::Throughput) {
        plan.throughput.as_slice()
    } else {
        &[]
    };
    for &(bytes, messages) in throughput_runs {
        progress(&format!(
            "throughput, {bytes} B texts, {messages} messages to 10 sessions"
        ));
        let t = throughput::run(&ctx, bytes, messages).await;
        record(results, t, |r, t| r.throughput.push(t));
    }

    // From here on the ledger is on, as `publisher setup` leaves it (the
    // throughput runs above store no agent rows: see BENCHMARKS.md).
    ledger::set_up(ctx.ours.client()).await?;

    // A server and sessions of its own; closed before the fleet grows.
    let storms = if selected(Scenario::Storm) {
        plan.storm.as_slice()
    } else {
        &[]
    };
    for &n in storms {
        progress(&format!("reconnect storm, {n} sessions"));
        let sender = ctx.sender.clone();
        let s = tokio::task::spawn_blocking(move || storm::run_isolated(n, &sender))
            .await
            .map_err(|e| format!("storm task: {e}"))
            .and_then(|s| s);
        if let Ok(s) = &s {
            if s.duplicates > 0 || s.missing > 0 {
                results.failures.push(format!(
                    "reconnect storm at {n} sessions: {} messages shown twice, {} never shown \
                     (e.g. {})",
                    s.duplicates,
                    s.missing,
                    s.missing_examples.join(", ")
                ));
            }
        }
        record(results, s, |r, s| r.storm.push(s));
    }

    // Servers and sessions of their own, in other processes; gone before
    // the fleet grows.
    let clusters = if selected(Scenario::Cluster) {
        plan.cluster.as_slice()
    } else {
        &[]
    };
    for &n in clusters {
        progress(&format!(
            "scale out, {n} sessions on {} clustered servers",
            cluster::NODES
        ));
        let c = cluster::run(n, bins).await;
        if let Ok(c) = &c {
            let reached = c.publisher.delivered + c.publisher.also_delivered;
            if c.listed != n || reached != n as u64 {
                results.failures.push(format!(
                    "scale out at {n} sessions: listed {}, `send --wait` reached {reached} \
                     (exit {:?})",
                    c.listed, c.publisher.exit_code
                ));
            }
        }
        record(results, c, |r, c| r.cluster.push(c));
    }

    // The server's memory with the throughput fleet: the base of the
    // per-session figure.
    let base = (
        procs::ProcSample::of(main.pid())?.rss_kib,
        ctx.fleet.len(),
    );

    let per_n = [
        Scenario::Rtt,
        Scenario::Fanout,
        Scenario::Listing,
        Scenario::Wait,
        Scenario::Status,
    ];
    let sessions = if per_n.into_iter().any(selected) {
        plan.sessions.as_slice()
    } else {
        &[]
    };
    for (i, &n) in sessions.iter().enumerate() {
        progress(&format!("connecting sessions up to {n}"));
        let took = ctx.fleet.grow_to(n).await?;
        progress(&format!(
            "{n} sessions connected ({:.1} s)",
            took.as_secs_f64()
        ));
        let s = scale::sample(main.pid(), n, base);
        record(results, s, |r, s| r.scale.push(s));
        if i == 0 && selected(Scenario::Rtt) {
            progress(&format!("session send with receipt, {n} sessions"));
            let r = rtt::run(&ctx).await;
            record(results, r, |r, x| r.session_rtt = Some(x));
        }
        if selected(Scenario::Fanout) {
            progress(&format!("fan-out, {n} sessions"));
            let f = fanout::run(&ctx).await;
            record(results, f, |r, f| r.fanout.push(f));
        }
        if selected(Scenario::Listing) {
            progress(&format!("listing, {n} sessions"));
            let l = listing::run(&ctx).await;
            if let Ok(l) = &l {
                if l.listed != n {
                    results.failures.push(format!(
                        "sessions listing at {n} sessions returned {} (must be {n})",
                        l.listed
                    ));
                }
            }
            record(results, l, |r, l| r.listing.push(l));
        }
        if selected(Scenario::Wait) {
            progress(&format!("broadcast --wait, {n} sessions"));
            let b = wait::run(&ctx, bins, &url).await;
            record(results, b, |r, b| r.broadcast_wait.push(b));
        }
        if i + 1 == sessions.len() && selected(Scenario::Status) {
            progress(&format!("publisher status and sessions, {n} sessions answered"));
            let s = status::run(&ctx, bins, &url).await;
            record(results, s, |r, s| r.status = Some(s));
        }
    }

    if let Some(idle_task) = idle_task {
        progress("waiting for the idle agent figure");
        let idle = idle_task.await.map_err(|e| format!("idle task: {e}"))?;
        record(results, idle, |r, i| r.agent_idle = Some(i));
    }
    progress("done");
    Ok(())
}

/// Stores a scenario's figures, or its failure.
fn record<T>(
    results: &mut Results,
    outcome: Result<T, String>,
    store: impl FnOnce(&mut Results, T),
) {
    match outcome {
        Ok(figures) => store(results, figures),
        Err(e) => {
            eprintln!("bench: scenario failed: {e}");
            results.failures.push(e);
        }
    }
}

/// How this run was started, for the report.
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut line = "cargo run --release -p bench --".to_owned();
    for a in args {
        line.push(' ');
        line.push_str(&a);
    }
    line
}
