//! The real binaries, run as child processes, with every wait bounded.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Where the binaries look for their settings files in tests: nowhere, so
/// that the settings of whoever runs the tests never change them.
pub const NO_USER_CONFIG: &str = "/nonexistent/remote-message-tests";

/// Path of a workspace binary, built next to the test executables.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace` first (scripts/test does)",
        path.display()
    );
    path
}

/// Runs `publisher <args>` against `server_url` with no stdin.
pub fn publisher(server_url: &str, args: &[&str]) -> Output {
    publisher_with_stdin(server_url, args, None)
}

/// Runs `publisher <args>` against `server_url`, feeding `stdin` if given.
/// Panics if it runs longer than 30 s.
pub fn publisher_with_stdin(server_url: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(bin("publisher"))
        .args(args)
        .env("NATS_URL", server_url)
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .env_remove("RUST_LOG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn publisher");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input).expect("write stdin");
    }
    finish_within(
        child,
        Duration::from_secs(30),
        &format!("publisher {args:?}"),
    )
}

/// Collects the output of a child started with piped stdout and stderr;
/// SIGKILLs it and panics if it runs longer than `limit`.
pub fn finish_within(child: Child, limit: Duration, what: &str) -> Output {
    let pid = child.id();
    let (done_tx, done_rx) = channel();
    let waiter = std::thread::spawn(move || {
        let out = child.wait_with_output();
        let _ = done_tx.send(());
        out
    });
    if done_rx.recv_timeout(limit).is_err() {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        panic!("{what} ran for more than {limit:?}");
    }
    waiter.join().expect("waiter").expect("child output")
}

/// Asserts that a finished publisher exited with `code`; returns its stdout.
pub fn expect_exit(out: &Output, code: i32) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "publisher exited with {:?}, not {code}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A running `subscriber --output json`, whose stdout lines (messages) and
/// stderr lines (logs) are read by background threads.
pub struct Agent {
    child: Child,
    messages: Receiver<String>,
    logs: Receiver<String>,
    /// Every stderr line read so far, for failure reports.
    log_history: Vec<String>,
    /// The agent's own `--state-dir`, unless the test gave one.
    _state_dir: Option<tempfile::TempDir>,
}

impl Agent {
    /// Spawns `subscriber --server <url> <args>` without waiting, with
    /// `--output json` unless `args` choose an output, and a fresh
    /// `--state-dir` unless `args` give one.
    pub fn spawn(server_url: &str, args: &[&str]) -> Agent {
        Agent::spawn_with_env(server_url, args, &[])
    }

    /// Like [`Agent::spawn`], with more environment variables (e.g. the
    /// `DISPLAY` and D-Bus address of a test desktop).
    pub fn spawn_with_env(server_url: &str, args: &[&str], env: &[(&str, &str)]) -> Agent {
        let (cmd, state_dir) = agent_command(server_url, args, env);
        Agent::launch(cmd, state_dir, None)
    }

    /// Spawns a `subscriber` command line the test built itself (its own
    /// arguments and environment; see [`bin`]).
    pub fn spawn_command(cmd: Command) -> Agent {
        Agent::launch(cmd, None, None)
    }

    /// Like [`Agent::spawn`], but nobody reads the agent's stdout until the
    /// returned [`StdoutGate`] is opened: once the pipe is full (64 KiB) the
    /// agent's display blocks, like a terminal that stopped scrolling.
    pub fn spawn_with_stdout_held(server_url: &str, args: &[&str]) -> (Agent, StdoutGate) {
        let (cmd, state_dir) = agent_command(server_url, args, &[]);
        let (open_tx, open_rx) = channel();
        (
            Agent::launch(cmd, state_dir, Some(open_rx)),
            StdoutGate(open_tx),
        )
    }

    fn launch(
        mut cmd: Command,
        state_dir: Option<tempfile::TempDir>,
        stdout_gate: Option<Receiver<()>>,
    ) -> Agent {
        let mut child = cmd
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn subscriber");
        let messages = lines(child.stdout.take().expect("stdout"), stdout_gate);
        let logs = lines(child.stderr.take().expect("stderr"), None);
        Agent {
            child,
            messages,
            logs,
            log_history: Vec::new(),
            _state_dir: state_dir,
        }
    }

    /// Spawns an agent for `session` and waits until its subscriptions are confirmed.
    pub fn start(server_url: &str, session: &str) -> Agent {
        let mut agent = Agent::spawn(server_url, &["--session-id", session]);
        agent.wait_subscribed();
        agent
    }

    /// Like [`Agent::start`], with more arguments (e.g. `--user-name`).
    pub fn start_with(server_url: &str, session: &str, args: &[&str]) -> Agent {
        let mut all = vec!["--session-id", session];
        all.extend_from_slice(args);
        let mut agent = Agent::spawn(server_url, &all);
        agent.wait_subscribed();
        agent
    }

    /// Waits for the next "subscribed to broadcast" line: the agent is
    /// (re)connected and the server has its subscriptions.
    pub fn wait_subscribed(&mut self) -> String {
        self.wait_log("subscribed to broadcast")
    }

    /// Waits, at most [`crate::WAIT`], for a stderr line containing `needle`;
    /// lines before it are consumed.
    pub fn wait_log(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + crate::WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.logs.recv_timeout(left) {
                Ok(line) => {
                    self.log_history.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => panic!(
                    "no log line with {needle:?} ({e:?}); agent stderr so far:\n{}",
                    self.log_history.join("\n")
                ),
            }
        }
    }

    /// The next message the agent printed, waiting at most [`crate::WAIT`].
    pub fn next_message(&mut self) -> Value {
        let line = self.next_line();
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("agent printed a non-JSON line ({e}): {line}"))
    }

    /// The next stdout line, waiting at most [`crate::WAIT`].
    pub fn next_line(&mut self) -> String {
        self.next_line_within(crate::WAIT)
    }

    /// The text of the next message, waiting at most `limit` (for what takes
    /// longer than usual, like a cluster electing new leaders).
    pub fn next_text_within(&mut self, limit: Duration) -> String {
        let line = self.next_line_within(limit);
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("agent printed a non-JSON line ({e}): {line}"));
        message["text"].as_str().expect("text").to_owned()
    }

    fn next_line_within(&mut self, limit: Duration) -> String {
        match self.messages.recv_timeout(limit) {
            Ok(line) => line,
            Err(e) => {
                self.drain_logs();
                panic!(
                    "agent showed no message within {limit:?} ({e:?}); stderr:\n{}",
                    self.log_history.join("\n")
                )
            }
        }
    }

    /// The text of the next message.
    pub fn next_text(&mut self) -> String {
        let message = self.next_message();
        message["text"].as_str().expect("text").to_owned()
    }

    /// Every stderr line so far (waiting for none).
    pub fn logs(&mut self) -> Vec<String> {
        self.drain_logs();
        self.log_history.clone()
    }

    fn drain_logs(&mut self) {
        while let Ok(line) = self.logs.try_recv() {
            self.log_history.push(line);
        }
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).expect("signal agent");
    }

    /// Waits for the agent to exit, at most [`crate::WAIT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + crate::WAIT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("agent did not exit within {:?}", crate::WAIT);
    }

    /// The agent's resident memory now, in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("agent's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }

    /// Is the process still running?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `subscriber --server <url> <args>`, with `--output json` unless `args`
/// choose an output, and a fresh `--state-dir` (returned, removed on drop)
/// unless `args` give one.
fn agent_command(
    server_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Command, Option<tempfile::TempDir>) {
    let mut cmd = Command::new(bin("subscriber"));
    if !args.contains(&"--output") {
        cmd.args(["--output", "json"]);
    }
    let state_dir =
        (!args.contains(&"--state-dir")).then(|| tempfile::tempdir().expect("state dir"));
    if let Some(dir) = &state_dir {
        cmd.arg("--state-dir").arg(dir.path());
    }
    cmd.args(["--server", server_url])
        .args(args)
        .env_remove("NATS_URL")
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .envs(env.iter().copied());
    (cmd, state_dir)
}

/// Lets a held stdout be read (see [`Agent::spawn_with_stdout_held`]).
pub struct StdoutGate(std::sync::mpsc::Sender<()>);

impl StdoutGate {
    pub fn open(self) {
        let _ = self.0.send(());
    }
}

/// Lines of a pipe, delivered through a channel by a reader thread that
/// starts reading once `gate` (if any) opens.
fn lines(
    pipe: impl std::io::Read + Send + 'static,
    gate: Option<Receiver<()>>,
) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        if let Some(gate) = gate {
            let _ = gate.recv();
        }
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
