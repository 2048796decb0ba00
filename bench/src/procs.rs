//! The real binaries the process-level figures run (`publisher`,
//! `subscriber`, and the bench's own minimal `bench-raw`), and what
//! `/proc` says about a running process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// Where the binaries are: next to the running `bench`, in the same profile.
#[derive(Debug, Clone)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// Finds the binaries; with `build`, first has cargo bring them up to
    /// date (`cargo run -p bench` builds only `bench` itself).
    pub fn locate(build: bool) -> Result<Binaries, String> {
        let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
        let dir = exe
            .parent()
            .ok_or("the bench binary has no directory")?
            .to_path_buf();
        if build {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("bench/ is inside the workspace");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.current_dir(workspace).args([
                "build",
                "--quiet",
                "--bins",
                "-p",
                "publisher",
                "-p",
                "subscriber",
                "-p",
                "bench",
            ]);
            if !cfg!(debug_assertions) {
                cmd.arg("--release");
            }
            eprintln!("bench: building publisher, subscriber and bench-raw (cargo build)…");
            let status = cmd.status().map_err(|e| {
                format!("cannot run cargo ({e}); build the binaries and pass --no-build")
            })?;
            if !status.success() {
                return Err(format!("cargo build failed ({status})"));
            }
        }
        let binaries = Binaries { dir };
        for name in ["publisher", "subscriber", "bench-raw"] {
            let path = binaries.path(name);
            if !path.exists() {
                return Err(format!(
                    "{} is missing: run `cargo build --release --workspace --bins`",
                    path.display()
                ));
            }
        }
        Ok(binaries)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `publisher --server URL ARGS...` run to its exit, off the async
/// threads, as ops run it (no `NATS_URL`, no `RUST_LOG`): its output and
/// its wall time, start to exit, in ms.
pub async fn run_publisher(
    bins: &Binaries,
    url: &str,
    args: &[&str],
) -> Result<(Output, f64), String> {
    let mut cmd = Command::new(bins.path("publisher"));
    cmd.args(["--server", url])
        .args(args)
        .env_remove("NATS_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    let (output, ms) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let output = cmd.output();
        (output, started.elapsed().as_secs_f64() * 1e3)
    })
    .await
    .map_err(|e| format!("publisher task: {e}"))?;
    let output = output.map_err(|e| format!("cannot run publisher: {e}"))?;
    Ok((output, crate::stats::round2(ms)))
}

/// What `/proc` says about a process at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcSample {
    /// Resident memory now (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident memory (VmHWM), KiB.
    pub hwm_kib: u64,
    /// User + system CPU, clock ticks (all threads, live and exited).
    pub cpu_ticks: u64,
    /// CPU time of the live threads in ns (schedstat), if the kernel keeps it.
    pub cpu_ns: Option<u64>,
    /// Context switches of the live threads: each is a wake-up or a preemption.
    pub switches: u64,
    pub threads: u64,
}

impl ProcSample {
    pub fn of(pid: u32) -> Result<ProcSample, String> {
        let base = PathBuf::from(format!("/proc/{pid}"));
        let read =
            |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
        let status = read(&base.join("status"))?;
        let stat = read(&base.join("stat"))?;
        // Fields after the command name, which is in parentheses: state is
        // field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |n: usize| {
            fields
                .get(n - 3)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let mut sample = ProcSample {
            rss_kib: status_kib(&status, "VmRSS:"),
            hwm_kib: status_kib(&status, "VmHWM:"),
            cpu_ticks: field(14) + field(15),
            cpu_ns: Some(0),
            switches: 0,
            threads: 0,
        };
        let tasks =
            std::fs::read_dir(base.join("task")).map_err(|e| format!("tasks of {pid}: {e}"))?;
        for task in tasks.flatten() {
            sample.threads += 1;
            if let Ok(status) = std::fs::read_to_string(task.path().join("status")) {
                sample.switches += status_kib(&status, "voluntary_ctxt_switches:")
                    + status_kib(&status, "nonvoluntary_ctxt_switches:");
            }
            let ns = std::fs::read_to_string(task.path().join("schedstat"))
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
            sample.cpu_ns = match (sample.cpu_ns, ns) {
                (Some(total), Some(ns)) => Some(total + ns),
                _ => None,
            };
        }
        Ok(sample)
    }
}

/// The number after `key` in /proc/<pid>/status (KiB for Vm* lines).
fn status_kib(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time this process used so far (all threads, user + system), in ns.
pub fn own_cpu_ns() -> u64 {
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    ns(usage.ru_utime) + ns(usage.ru_stime)
}

/// CPU time of another process so far, in ns (schedstat of its threads,
/// else clock ticks).
pub fn cpu_ns_of(pid: u32) -> u64 {
    match ProcSample::of(pid) {
        Ok(s) => s
            .cpu_ns
            .unwrap_or((s.cpu_ticks as f64 * ms_per_tick() * 1e6) as u64),
        Err(_) => 0,
    }
}

/// Milliseconds per clock tick of /proc/<pid>/stat.
pub fn ms_per_tick() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        1000.0 / hz as f64
    } else {
        10.0
    }
}

/// The machine, as BENCHMARKS.md describes it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu: String,
    pub kernel: String,
    pub nats_server: String,
}

impl Machine {
    pub fn probe() -> Machine {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: crate::stats::round2(
                status_kib(&meminfo, "MemTotal:") as f64 / 1024.0 / 1024.0,
            ),
            cpu: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
                .unwrap_or_else(|| "unknown".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            nats_server: crate::server::nats_server_version(),
        }
    }
}

/// Makes the kernel kill the child if the spawning thread ends first, so a
/// killed bench leaves nothing running. Spawn from a thread that outlives
/// the child.
pub fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// A child process killed when dropped.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
