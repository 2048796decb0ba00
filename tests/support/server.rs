//! A real `nats-server` per test: free port, own store dir, JetStream on,
//! stopped when dropped.

use crate::tls::TestPki;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Password of the `ops` role in [`NatsServer::start_with_roles`].
pub const OPS_PASSWORD: &str = "ops-test-Pw-9f2";
/// Password of the `agent` role in [`NatsServer::start_with_roles`].
pub const AGENT_PASSWORD: &str = "agent-test-Pw-4c7";

/// A running (or deliberately stopped) nats-server.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    config: Option<PathBuf>,
    jetstream: bool,
    /// More command-line arguments, e.g. cluster settings.
    extra: Vec<String>,
    dir: tempfile::TempDir,
    /// The port of the `websocket` listener, if it has one.
    websocket_port: Option<u16>,
}

impl NatsServer {
    /// A server with JetStream on, on a free port.
    pub fn start() -> NatsServer {
        NatsServer::start_on(free_port(), None)
    }

    /// A server with the two roles of `deploy/nats-server.conf`, ops and
    /// agent, with the passwords [`OPS_PASSWORD`] and [`AGENT_PASSWORD`].
    pub fn start_with_roles() -> NatsServer {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nats-server.conf");
        NatsServer::start_on(free_port(), Some(config))
    }

    /// The URL with a role's user and password.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!("nats://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// A server started from a config file made by the test (e.g. TLS).
    pub fn start_with_config_file(config: PathBuf) -> NatsServer {
        NatsServer::start_on(free_port(), Some(config))
    }

    /// A server started from `tests/configs/<name>.conf`.
    pub fn start_with_config(name: &str) -> NatsServer {
        let config = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/configs")
            .join(format!("{name}.conf"));
        assert!(config.exists(), "no config {}", config.display());
        NatsServer::start_on(free_port(), Some(config))
    }

    /// A server with a `websocket` listener besides its NATS port, JetStream
    /// on: plain (`no_tls`), or TLS with the server certificate of `pki`.
    /// Ready (here and on restart) once both ports accept connections; see [`NatsServer::websocket_url`].
    pub fn start_with_websocket(pki: Option<&TestPki>) -> NatsServer {
        let port = free_port();
        let tls = match pki {
            Some(pki) => format!(
                "tls {{\n    cert_file: \"{}\"\n    key_file: \"{}\"\n  }}",
                pki.path("server.pem").display(),
                pki.path("server-key.pem").display()
            ),
            None => "no_tls: true".to_owned(),
        };
        let config = format!("websocket {{\n  host: 127.0.0.1\n  port: {port}\n  {tls}\n}}\n");
        let mut server = NatsServer::launch_with_config_text(&config, Vec::new());
        // From now on `launch` (a restart) waits for it too.
        server.websocket_port = Some(port);
        wait_listening(port);
        server
    }

    /// `ws://` (or `wss://` when `tls`) and the websocket listener's address.
    pub fn websocket_url(&self, tls: bool) -> String {
        let port = self
            .websocket_port
            .expect("a server with a websocket listener");
        format!("{}://127.0.0.1:{port}", if tls { "wss" } else { "ws" })
    }

    /// A server on a port chosen earlier, e.g. one an agent is already dialling.
    pub fn start_on(port: u16, config: Option<PathBuf>) -> NatsServer {
        NatsServer::launch_new(port, config, true, Vec::new())
    }

    /// A server without JetStream: messages are live only.
    pub fn start_without_jetstream() -> NatsServer {
        NatsServer::launch_new(free_port(), None, false, Vec::new())
    }

    /// `n` servers clustered on loopback, JetStream on; ready when each
    /// accepts clients (the JetStream meta leader may take a moment more).
    pub fn start_cluster(n: usize) -> Vec<NatsServer> {
        NatsServer::cluster(n, true)
    }

    /// [`NatsServer::start_cluster`] without JetStream on any node (the
    /// routes may take a moment more).
    pub fn start_cluster_without_jetstream(n: usize) -> Vec<NatsServer> {
        NatsServer::cluster(n, false)
    }

    fn cluster(n: usize, jetstream: bool) -> Vec<NatsServer> {
        let client_ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let route_ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        (0..n)
            .map(|i| {
                let routes: Vec<String> = (0..n)
                    .filter(|j| *j != i)
                    .map(|j| format!("nats://127.0.0.1:{}", route_ports[j]))
                    .collect();
                let extra = vec![
                    "--server_name".into(),
                    format!("node-{i}"),
                    "--cluster_name".into(),
                    "rm-test".into(),
                    "--cluster".into(),
                    format!("nats://127.0.0.1:{}", route_ports[i]),
                    "--routes".into(),
                    routes.join(","),
                ];
                NatsServer::launch_new(client_ports[i], None, jetstream, extra)
            })
            .collect()
    }

    /// A hub server and a leafnode server connected to it, each with
    /// JetStream in its own domain (`hub_domain`, `leaf_domain`), free
    /// ports and its own temp dir; returned once the leafnode connection
    /// is up (both logs say so). No authentication: one account.
    pub fn start_hub_and_leaf(hub_domain: &str, leaf_domain: &str) -> (NatsServer, NatsServer) {
        let leaf_port = free_port();
        let hub = NatsServer::launch_with_config_text(
            &format!(
                "server_name: hub\njetstream {{ domain: {hub_domain} }}\n\
                 leafnodes {{ listen: \"127.0.0.1:{leaf_port}\" }}\n"
            ),
            Vec::new(),
        );
        let leaf = NatsServer::launch_with_config_text(
            &format!(
                "server_name: leaf\njetstream {{ domain: {leaf_domain} }}\n\
                 leafnodes {{ remotes: [ {{ url: \"nats-leaf://127.0.0.1:{leaf_port}\" }} ] }}\n"
            ),
            Vec::new(),
        );
        for server in [&hub, &leaf] {
            server.wait_log("Leafnode connection created");
        }
        (hub, leaf)
    }

    /// A server started from `config` (nats-server config text), kept in
    /// the server's own temp dir.
    fn launch_with_config_text(config: &str, extra: Vec<String>) -> NatsServer {
        let mut server = NatsServer::unlaunched(free_port(), None, true, extra);
        let path = server.dir.path().join("server.conf");
        std::fs::write(&path, config).expect("write server config");
        server.config = Some(path);
        server.launch();
        server
    }

    /// Waits, at most [`crate::WAIT`], until the server's log holds `needle`.
    pub fn wait_log(&self, needle: &str) {
        let log = self.dir.path().join("server.log");
        let deadline = Instant::now() + crate::WAIT;
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nats-server on port {} never logged {needle:?}:\n{text}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many lines of the server's log hold `needle` so far.
    pub fn log_count(&self, needle: &str) -> usize {
        let log = self.dir.path().join("server.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().filter(|line| line.contains(needle)).count()
    }

    fn launch_new(
        port: u16,
        config: Option<PathBuf>,
        jetstream: bool,
        extra: Vec<String>,
    ) -> NatsServer {
        let mut server = NatsServer::unlaunched(port, config, jetstream, extra);
        server.launch();
        server
    }

    fn unlaunched(
        port: u16,
        config: Option<PathBuf>,
        jetstream: bool,
        extra: Vec<String>,
    ) -> NatsServer {
        NatsServer {
            child: None,
            port,
            config,
            jetstream,
            extra,
            dir: tempfile::tempdir().expect("temp dir"),
            websocket_port: None,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The `tls://` URL of a server started with a TLS config (see
    /// [`crate::tls::TestPki::server_config`]).
    pub fn tls_url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }

    /// SIGKILLs the server, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    fn launch(&mut self) {
        let store = self.dir.path().join("store");
        let log = self.dir.path().join("server.log");
        let mut cmd = Command::new(nats_server_bin());
        // Only read by configs that name them (deploy/nats-server.conf).
        cmd.env("OPS_PASSWORD", OPS_PASSWORD)
            .env("AGENT_PASSWORD", AGENT_PASSWORD);
        if let Some(config) = &self.config {
            cmd.arg("-c").arg(config);
        }
        cmd.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
        if self.jetstream {
            cmd.arg("-js");
        }
        cmd.arg("-sd")
            .arg(&store)
            .args(&self.extra)
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start nats-server ({e}): install it (apt-get install nats-server) \
                 or run scripts/test, which does"
            )
        });
        self.child = Some(child);
        self.wait_ready(&log);
        if let Some(port) = self.websocket_port {
            wait_listening(port);
        }
    }

    /// Ready = it accepts a TCP connection and greets with INFO.
    fn wait_ready(&mut self, log: &Path) {
        let deadline = Instant::now() + crate::WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "nats-server exited with {status}:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut line = String::new();
                if BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("INFO") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nats-server on port {} did not come up", self.port);
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits, at most [`crate::WAIT`], until something accepts TCP connections on `port`.
fn wait_listening(port: u16) {
    let deadline = Instant::now() + crate::WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn nats_server_bin() -> PathBuf {
    std::env::var_os("NATS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("nats-server"))
}
