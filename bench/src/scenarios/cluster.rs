//! Scale out: more sessions than one process may hold. The open-file limit
//! counts one descriptor per connection, for the server and the sessions
//! alike (20,000 here, and the hard limit cannot be raised), so past it the
//! sessions go to a NATS cluster of [`NODES`] servers, each with a child
//! bench process holding its share of them ([`child`]: the fleet's own
//! sessions, one connection each with the agent core and the raw
//! subscriptions). Then, through node 0 only (the answers cross the
//! routes), the real `publisher sessions --json` lists them in one call and
//! the real `publisher send --wait --json` reaches them with one broadcast.
//! The cluster runs JetStream, as a production one would: the broadcast is
//! stored (one replica) before it is delivered.

use super::wait::{real_publisher, PublisherWait};
use crate::fleet::Fleet;
use crate::procs::{die_with_parent, run_publisher, Binaries, ChildGuard, ProcSample};
use crate::server::Server;
use crate::stats::round2;
use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Servers in the cluster, each with its child process of sessions.
pub const NODES: usize = 3;

/// `--timeout` of `publisher setup`.
const TIMEOUT: &str = "30s";

/// How long the routes may take to carry every session's subscriptions.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// How long the children may take to connect their sessions.
const CONNECT_LIMIT: Duration = Duration::from_secs(600);

#[derive(Debug, Serialize)]
pub struct ClusterScale {
    pub sessions: usize,
    pub nodes: usize,
    /// Until every child had connected its sessions, in parallel.
    pub connect_s: f64,
    /// Then until a listing through server 0 found them all (the routes
    /// carried every subscription).
    pub settle_s: f64,
    /// `publisher sessions --json`: sessions listed, and its wall time.
    pub listed: usize,
    pub listing_ms: f64,
    /// `publisher send --wait --json`.
    pub publisher: PublisherWait,
    /// Each server's resident memory with every session connected, KiB.
    pub servers_rss_kib: Vec<u64>,
    /// (Σ servers' RSS − Σ before any session) / sessions.
    pub server_kib_per_session: f64,
    /// The child processes' resident memory, summed, KiB.
    pub sessions_rss_kib: u64,
}

pub async fn run(n: usize, bins: &Binaries) -> Result<ClusterScale, String> {
    let servers = Server::start_cluster("cluster", NODES)?;
    let rss = |servers: &[Server]| {
        servers
            .iter()
            .map(|s| ProcSample::of(s.pid()).map(|p| p.rss_kib))
            .collect::<Result<Vec<_>, _>>()
    };
    let base: u64 = rss(&servers)?.iter().sum();

    let began = Instant::now();
    let share = n.div_ceil(NODES);
    let mut children = Vec::new();
    for (i, server) in servers.iter().enumerate() {
        let first = i * share;
        let count = share.min(n.saturating_sub(first));
        // The bench binary next to the others, not this process's own file:
        // `cargo build` of the binaries (see `Binaries::locate`) may have
        // replaced that one while it runs.
        let mut cmd = Command::new(bins.path("bench"));
        cmd.arg("--child-fleet")
            .arg(format!("{},{first},{count}", server.port()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start a child fleet: {e}"))?;
        children.push(ChildGuard(child));
    }
    let mut readies = Vec::new();
    for child in &mut children {
        let stdout = child.0.stdout.take().expect("piped");
        readies.push(tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }));
    }
    for ready in readies {
        let line = tokio::time::timeout(CONNECT_LIMIT, ready)
            .await
            .map_err(|_| format!("child fleets not connected within {CONNECT_LIMIT:?}"))?
            .map_err(|e| format!("child fleet task: {e}"))?
            .map_err(|e| format!("child fleet: {e}"))?;
        if !line.starts_with("ready") {
            return Err(format!("a child fleet failed: {}", line.trim()));
        }
    }
    let connect_s = round2(began.elapsed().as_secs_f64());

    let url = servers[0].url();
    // The stream, made beforehand as ops would (`setup`; the cluster may
    // still be electing its JetStream leader). The listing and the send run
    // with their defaults.
    let electing = Instant::now();
    loop {
        let setup = Command::new(bins.path("publisher"))
            .args(["--server", &url, "--timeout", TIMEOUT, "setup"])
            .env_remove("NATS_URL")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run publisher setup: {e}"))?;
        if setup.status.success() {
            break;
        }
        if electing.elapsed() > SETTLE_LIMIT {
            return Err(format!(
                "publisher setup failed: {}",
                String::from_utf8_lossy(&setup.stderr).trim()
            ));
        }
    }
    // Connected is not yet known cluster-wide: the routes carry every
    // session's subscriptions to the other servers, 300,000 of them at
    // 50,000 sessions, for a while after the children are ready. Until
    // then a listing through server 0 finds few but its own (one run
    // listed 162). So the cluster is settled when a listing finds them all,
    // then the measured listing and send follow.
    let settling = Instant::now();
    while listing(bins, &url).await?.0 < n {
        if settling.elapsed() > SETTLE_LIMIT {
            return Err(format!(
                "the cluster did not list all {n} sessions within {SETTLE_LIMIT:?}"
            ));
        }
    }
    let settle_s = round2(settling.elapsed().as_secs_f64());
    let (listed, listing_ms) = listing(bins, &url).await?;
    let publisher = real_publisher(bins, &url).await?;

    let servers_rss_kib = rss(&servers)?;
    let sessions_rss_kib = children
        .iter()
        .map(|c| ProcSample::of(c.0.id()).map(|p| p.rss_kib).unwrap_or(0))
        .sum();
    let total: u64 = servers_rss_kib.iter().sum();
    Ok(ClusterScale {
        sessions: n,
        nodes: NODES,
        connect_s,
        settle_s,
        listed,
        listing_ms,
        publisher,
        server_kib_per_session: round2(total.saturating_sub(base) as f64 / n.max(1) as f64),
        servers_rss_kib,
        sessions_rss_kib,
    })
}

/// The child side (`bench --child-fleet PORT,FIRST,COUNT`): connects
/// sessions `FIRST`… (`COUNT` of them) to the server at `PORT`, prints
/// `ready` (or `failed: …`) and holds them until its stdin closes.
pub fn child(port: u16, first: usize, count: usize) -> Result<(), String> {
    crate::server::raise_nofile(count as u64 + 256)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let mut fleet = Fleet::numbered_from(port, count, first);
    let grown = runtime.block_on(fleet.grow_to(count));
    let mut stdout = std::io::stdout();
    let line = match &grown {
        Ok(took) => format!("ready {:.1}\n", took.as_secs_f64()),
        Err(e) => format!("failed: {e}\n"),
    };
    let _ = stdout.write_all(line.as_bytes());
    let _ = stdout.flush();
    grown?;
    // Held until the parent closes stdin (or dies: PR_SET_PDEATHSIG).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(fleet);
    runtime.shutdown_background();
    Ok(())
}

/// `publisher sessions --json` through `url`: sessions listed, wall ms.
pub async fn listing(bins: &Binaries, url: &str) -> Result<(usize, f64), String> {
    let (output, wall_ms) = run_publisher(bins, url, &["sessions", "--json"]).await?;
    let listed = serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout)
        .map_err(|e| {
            format!(
                "publisher sessions --json printed no list ({e}); stderr: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })?
        .len();
    Ok((listed, wall_ms))
}
