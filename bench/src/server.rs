//! The bench's own nats-server: a free port (never 4222), a temp store dir,
//! limits that let 10,000 sessions connect, and killed when dropped, even on
//! a panic or if the bench itself is killed.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nats-server, stopped on drop.
pub struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server with JetStream (for catch-up) and waits until it greets.
    /// Call it from the main thread: the server is tied to the spawning
    /// thread's life (PR_SET_PDEATHSIG).
    pub fn start(label: &str) -> Result<Server, String> {
        Server::start_for(label, 0)
    }

    /// [`Server::start`] for `sessions` connections: past
    /// [`CONNECTIONS_PER_ADDRESS`] the server listens on every address
    /// (0.0.0.0), so that sessions can connect to 127.0.0.2, 127.0.0.3, …
    /// (see [`connect_url`]): one source address has only ~28,000
    /// ephemeral ports towards one destination.
    pub fn start_for(label: &str, sessions: usize) -> Result<Server, String> {
        let host = if sessions > CONNECTIONS_PER_ADDRESS {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        Server::start_configured(label, free_port()?, |dir, port| {
            format!(
                "listen: \"{host}:{port}\"\n\
                 jetstream {{\n  store_dir: \"{store}\"\n  max_memory_store: 268435456\n  max_file_store: {FILE_STORE_BYTES}\n}}\n",
                store = dir.join("store").display(),
            )
        })
    }

    /// A cluster of `nodes` servers with JetStream, each routed to every
    /// other, listening on 127.0.0.1; each greets before this returns (the
    /// routes connect on their own meanwhile: a subscription made before
    /// its route is up reaches the other nodes when it is).
    pub fn start_cluster(label: &str, nodes: usize) -> Result<Vec<Server>, String> {
        let cluster_ports = (0..nodes).map(|_| free_port()).collect::<Result<Vec<_>, _>>()?;
        let routes = cluster_ports
            .iter()
            .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
            .collect::<Vec<_>>()
            .join(", ");
        (0..nodes)
            .map(|i| {
                let cluster_port = cluster_ports[i];
                let routes = routes.clone();
                Server::start_configured(&format!("{label}-{i}"), free_port()?, move |dir, port| {
                    format!(
                        "listen: \"127.0.0.1:{port}\"\n\
                         server_name: \"{label}-{i}\"\n\
                         cluster {{\n  name: \"{label}\"\n  listen: \"127.0.0.1:{cluster_port}\"\n  routes: [{routes}]\n}}\n\
                         jetstream {{\n  store_dir: \"{store}\"\n  max_memory_store: 268435456\n  max_file_store: {FILE_STORE_BYTES}\n}}\n",
                        store = dir.join("store").display(),
                    )
                })
            })
            .collect()
    }

    /// Starts a server whose configuration is `specific(dir, port)` plus
    /// the limits every bench server has, and waits until it greets.
    fn start_configured(
        label: &str,
        port: u16,
        specific: impl FnOnce(&std::path::Path, u16) -> String,
    ) -> Result<Server, String> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("bench-nats-{label}-"))
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let config = dir.path().join("server.conf");
        // Defaults that matter at 10,000 sessions: max_connections is 64K
        // already; max_pending (64 MB per client) and write_deadline (10 s)
        // are raised so the bench's own listing client, which takes 10,000
        // answers at once, is never cut off as a slow consumer.
        let text = format!(
            "{}max_connections: 65536\n\
             max_pending: 268435456\n\
             write_deadline: \"30s\"\n",
            specific(dir.path(), port),
        );
        std::fs::write(&config, text).map_err(|e| format!("cannot write {config:?}: {e}"))?;
        let child = spawn(dir.path())?;
        let mut server = Server { child, port, dir };
        server.wait_ready()?;
        Ok(server)
    }

    /// Kills the server with SIGKILL, as a crash would: no lame-duck mode,
    /// no clean shutdown of its store. [`Server::start_again`] brings it back.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port, configuration and store
    /// (after [`Server::kill`]), and waits until it greets. Tied to the
    /// calling thread like [`Server::start`].
    pub fn start_again(&mut self) -> Result<(), String> {
        self.child = spawn(self.dir.path())?;
        self.wait_ready()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }


    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server log, for error reports.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("nats-server exited with {status}:\n{}", self.log()));
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut line = String::new();
                if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO") {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("nats-server on port {} did not come up", self.port))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// JetStream file storage of a bench server: room for the message
/// stream's and the ledger's 1 GiB each (reserved, not written).
const FILE_STORE_BYTES: u64 = 4 << 30;

/// Connections made to one loopback address before the next is used:
/// below Linux's default ephemeral port range (32768–60999).
pub const CONNECTIONS_PER_ADDRESS: usize = 20_000;

/// The URL connection number `index` uses: 127.0.0.1 for the first
/// [`CONNECTIONS_PER_ADDRESS`], then 127.0.0.2, … (the server listens on
/// every address when it was started for that many).
pub fn connect_url(port: u16, index: usize) -> String {
    format!("nats://127.0.0.{}:{port}", 1 + index / CONNECTIONS_PER_ADDRESS)
}

/// Starts nats-server with the configuration written in `dir`, logging to
/// `dir/server.log`.
fn spawn(dir: &std::path::Path) -> Result<Child, String> {
    let mut cmd = Command::new(nats_server_bin());
    cmd.arg("-c")
        .arg(dir.join("server.conf"))
        .arg("-l")
        .arg(dir.join("server.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: prctl is async-signal-safe; it makes the kernel kill the
    // server if the bench dies without running its destructors.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn().map_err(|e| {
        format!(
            "cannot start nats-server ({e}): install it (scripts/ensure-nats-server) \
             or set NATS_SERVER_BIN"
        )
    })
}

/// `nats-server`, or `$NATS_SERVER_BIN`.
pub fn nats_server_bin() -> PathBuf {
    std::env::var_os("NATS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("nats-server"))
}

/// `nats-server --version`, e.g. `nats-server: v2.9.10`.
pub fn nats_server_version() -> String {
    Command::new(nats_server_bin())
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

fn free_port() -> Result<u16, String> {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        if port != 4222 {
            return Ok(port);
        }
    }
}

/// Raises the open-file limit to at least `wanted` (one descriptor per
/// session connection, plus spares); the server inherits it. Fails, saying
/// what to do, when the hard limit is lower.
pub fn raise_nofile(wanted: u64) -> Result<u64, String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a stack value.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", std::io::Error::last_os_error()));
    }
    if limit.rlim_cur >= wanted {
        return Ok(limit.rlim_cur);
    }
    if limit.rlim_max < wanted {
        // Root (CAP_SYS_RESOURCE) may raise the hard limit itself.
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: wanted,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Ok(wanted);
        }
        return Err(format!(
            "{wanted} open files are needed but the hard limit is {}: raise it \
             (e.g. `ulimit -Hn {wanted}` as root, or LimitNOFILE) or run fewer --sessions",
            limit.rlim_max
        ));
    }
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: as above.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
    }
    Ok(limit.rlim_cur)
}
