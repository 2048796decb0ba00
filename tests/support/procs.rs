//! The real binaries, run as child processes, with every wait bounded.
//!
//! Agents log with `--log-format json`: one JSON object per stderr line, its
//! `event` field a stable name (see docs on the agent's events). Tests wait
//! on those names and assert on their fields, never on the wording of a log
//! line, so rewording a message cannot break a test and a test cannot pass
//! on a line that merely looks alike. A stderr line that is not JSON (a
//! panic, a line a `--exec` hook wrote) is kept as text for failure reports.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crate::wine::Launcher;

/// Where the binaries look for their settings files in tests: nowhere, so
/// that the settings of whoever runs the tests never change them.
pub const NO_USER_CONFIG: &str = "/nonexistent/remote-message-tests";

/// The variable that names the system-wide settings file; set empty, so a
/// machine's own `/etc/remote-message/*.toml` never reaches a test (the
/// package tests, which test that file, unset it).
pub const SYSTEM_CONFIG_VAR: &str = "REMOTE_MESSAGE_SYSTEM_CONFIG";

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

/// The environment every binary the harness starts gets, whatever the
/// machine's: English, so tests read English words; a test that checks
/// another language sets `LANG` (or `--lang`) over it.
pub const ENGLISH: [(&str, &str); 4] = [
    ("LANG", "C.UTF-8"),
    ("LC_ALL", ""),
    ("LC_MESSAGES", ""),
    ("LANGUAGE", ""),
];

/// Runs `publisher <args>` against `server_url` with no stdin.
pub fn publisher(server_url: &str, args: &[&str]) -> Output {
    publisher_with_stdin(server_url, args, None)
}

/// Runs `publisher <args>` against `server_url`, feeding `stdin` if given.
/// Panics if it runs longer than 30 s.
pub fn publisher_with_stdin(server_url: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    publisher_on(&Launcher::Native, server_url, args, stdin)
}

/// Like [`publisher`], with more environment variables (e.g. `NATS_USER`).
pub fn publisher_with_env(server_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_on(
        &Launcher::Native,
        "publisher",
        Some(server_url),
        args,
        None,
        env,
    )
}

/// Runs `<binary> <args>` (`publisher` or `subscriber`) with no server
/// unless `env` names one (`NATS_URL` unset), and the rest of the harness's
/// environment (no settings file, no `RUST_LOG`, English); `env` is set
/// over it. Panics if it runs longer than 30 s.
pub fn run_binary(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_on(&Launcher::Native, binary, None, args, None, env)
}

/// Like [`publisher_with_stdin`], started by `launcher` (e.g. the Windows
/// build under wine); panics if it runs longer than 30 s, or than the
/// launcher's wait bound if that is longer.
pub fn publisher_on(
    launcher: &Launcher,
    server_url: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Output {
    run_on(launcher, "publisher", Some(server_url), args, stdin, &[])
}

/// Runs `subscriber <args>` (a one-shot command such as `answer`), started
/// by `launcher`, with `NATS_URL` set to `server_url`.
pub fn subscriber_on(launcher: &Launcher, server_url: &str, args: &[&str]) -> Output {
    run_on(launcher, "subscriber", Some(server_url), args, None, &[])
}

/// Runs `binary`, started by `launcher`, with `NATS_URL` set to
/// `server_url` (or unset), the harness's environment and `env` over it.
fn run_on(
    launcher: &Launcher,
    binary: &str,
    server_url: Option<&str>,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Output {
    let mut command = launcher.command(binary);
    match server_url {
        Some(url) => command.env("NATS_URL", url),
        None => command.env_remove("NATS_URL"),
    };
    let mut child = command
        .args(args)
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .env(SYSTEM_CONFIG_VAR, "")
        .env_remove("RUST_LOG")
        .envs(ENGLISH)
        .env_remove("REMOTE_MESSAGE_LANG")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {binary}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(input).expect("write stdin");
    }
    finish_within(
        child,
        Duration::from_secs(30).max(launcher.wait()),
        &format!("{binary} {args:?}"),
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

/// What a finished program wrote on stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
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

/// A running `subscriber --output json --log-format json`, whose stdout
/// lines (messages) and stderr lines (log records) are read by background
/// threads.
pub struct Agent {
    child: Child,
    messages: Receiver<String>,
    logs: Receiver<String>,
    /// Every stderr line read so far, for failure reports.
    log_history: Vec<String>,
    /// How many lines of `log_history` the waits have passed: a wait
    /// looks only at lines after the last one it returned.
    waited: usize,
    /// The agent's own `--state-dir`, unless the test gave one.
    state_dir: Option<tempfile::TempDir>,
    /// The bound on each wait: [`crate::WAIT`], or longer under wine.
    wait: Duration,
    /// The agent's stdin, held open, when the test fed it something.
    _stdin: Option<std::process::ChildStdin>,
}

impl Agent {
    /// Spawns `subscriber --server <url> <args>` without waiting, with
    /// `--output json` unless `args` choose an output, `--log-format json`
    /// unless `args` choose a log format, and a fresh `--state-dir` unless
    /// `args` give one.
    pub fn spawn(server_url: &str, args: &[&str]) -> Agent {
        Agent::spawn_with_env(server_url, args, &[])
    }

    /// Like [`Agent::spawn`], with more environment variables (e.g. the
    /// `DISPLAY` and D-Bus address of a test desktop).
    pub fn spawn_with_env(server_url: &str, args: &[&str], env: &[(&str, &str)]) -> Agent {
        Agent::spawn_on(&Launcher::Native, server_url, args, env)
    }

    /// Like [`Agent::spawn_with_env`], started by `launcher` (e.g. the
    /// Windows build under wine, its fresh `--state-dir` given as a Windows
    /// path); every wait on it is bounded by [`Launcher::wait`].
    pub fn spawn_on(
        launcher: &Launcher,
        server_url: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Agent {
        let (cmd, state_dir) = agent_command(launcher, server_url, args, env);
        let mut agent = Agent::launch(cmd, state_dir, None, None);
        agent.wait = launcher.wait();
        agent
    }

    /// Like [`Agent::spawn`], the agent started with the file mode creation
    /// mask `umask` (0o022 is the usual one: new files readable by all).
    pub fn spawn_with_umask(server_url: &str, args: &[&str], umask: u32) -> Agent {
        use std::os::unix::process::CommandExt;
        let (mut cmd, state_dir) = agent_command(&Launcher::Native, server_url, args, &[]);
        // SAFETY: umask(2) is async-signal-safe and changes only the child's mask.
        unsafe {
            cmd.pre_exec(move || {
                nix::libc::umask(umask as nix::libc::mode_t);
                Ok(())
            });
        }
        Agent::launch(cmd, state_dir, None, None)
    }

    /// Spawns a `subscriber` command line the test built itself (its own
    /// arguments and environment; see [`bin`]), exactly as built: for the
    /// waits on events it must choose `--log-format json` itself (on its
    /// command line or in a settings file).
    pub fn spawn_command(cmd: Command) -> Agent {
        Agent::launch(cmd, None, None, None)
    }

    /// Like [`Agent::spawn_command`], every wait on it bounded by `wait`
    /// (e.g. [`crate::wine::WINE_WAIT`] for an installed Windows agent run
    /// by wine).
    pub fn spawn_command_within(cmd: Command, wait: Duration) -> Agent {
        let mut agent = Agent::launch(cmd, None, None, None);
        agent.wait = wait;
        agent
    }

    /// Like [`Agent::spawn`], but nobody reads the agent's stdout until the
    /// returned [`StdoutGate`] is opened: once the pipe is full (64 KiB) the
    /// agent's display blocks, like a terminal that stopped scrolling.
    pub fn spawn_with_stdout_held(server_url: &str, args: &[&str]) -> (Agent, StdoutGate) {
        let (cmd, state_dir) = agent_command(&Launcher::Native, server_url, args, &[]);
        let (open_tx, open_rx) = channel();
        // The harness makes the pipe, to keep a probe on its write end.
        let (reader, writer) = std::io::pipe().expect("stdout pipe");
        let probe = writer.try_clone().expect("dup stdout pipe");
        let held = Held {
            gate: open_rx,
            reader,
            writer,
        };
        let agent = Agent::launch(cmd, state_dir, Some(held), None);
        (
            agent,
            StdoutGate {
                open: open_tx,
                probe: Some(probe),
            },
        )
    }

    /// Like [`Agent::spawn`], `stdin` written to the agent's stdin, which
    /// then stays open (as a parent that never closes it would leave it).
    pub fn spawn_with_stdin(server_url: &str, args: &[&str], stdin: &[u8]) -> Agent {
        let (cmd, state_dir) = agent_command(&Launcher::Native, server_url, args, &[]);
        Agent::launch(cmd, state_dir, None, Some(stdin))
    }

    /// The agent's `--state-dir`, when the harness made it.
    pub fn state_dir(&self) -> Option<&std::path::Path> {
        self.state_dir.as_ref().map(tempfile::TempDir::path)
    }

    fn launch(
        mut cmd: Command,
        state_dir: Option<tempfile::TempDir>,
        held: Option<Held>,
        stdin: Option<&[u8]>,
    ) -> Agent {
        let (stdout, held) = match held {
            Some(Held {
                gate,
                reader,
                writer,
            }) => (Stdio::from(writer), Some((gate, reader))),
            None => (Stdio::piped(), None),
        };
        let mut child = cmd
            .env_remove("RUST_LOG")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn subscriber");
        // The command holds the parent's copy of a held pipe's write end:
        // without it, the reader sees the end of stdout when the agent exits.
        drop(cmd);
        let messages = match held {
            Some((gate, reader)) => lines(reader, Some(gate)),
            None => lines(child.stdout.take().expect("stdout"), None),
        };
        let logs = lines(child.stderr.take().expect("stderr"), None);
        let stdin = stdin.map(|input| {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(input).expect("write the agent's stdin");
            pipe
        });
        Agent {
            child,
            messages,
            logs,
            log_history: Vec::new(),
            waited: 0,
            state_dir,
            wait: crate::WAIT,
            _stdin: stdin,
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

    /// Waits for the next `subscribed` event: the agent is (re)connected and
    /// the server has confirmed its subscriptions. Returns the record (its
    /// `reconnect` field says which).
    pub fn wait_subscribed(&mut self) -> Value {
        self.wait_event("subscribed")
    }

    /// Waits, at most [`crate::WAIT`], for the next log record whose
    /// `event` is `name`, and returns it; records before it are passed.
    pub fn wait_event(&mut self, name: &str) -> Value {
        self.wait_event_where(name, |_| true)
    }

    /// Waits, at most [`crate::WAIT`], for the next log record whose `event`
    /// is `name` and for which `matches` holds; returns it. Records before
    /// it are passed. Panics with all stderr so far if none comes.
    pub fn wait_event_where(&mut self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + self.wait;
        // Records of that name that did not match, for the failure report.
        let mut others = 0;
        loop {
            while self.waited < self.log_history.len() {
                let line = &self.log_history[self.waited];
                self.waited += 1;
                if let Some(record) = record(line).filter(|r| r["event"] == name) {
                    if matches(&record) {
                        return record;
                    }
                    others += 1;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.logs.recv_timeout(left) {
                Ok(line) => self.log_history.push(line),
                Err(e) => panic!(
                    "no matching `{name}` event within {:?} ({others} others; {e:?}); \
                     agent stderr so far:\n{}",
                    self.wait,
                    self.log_history.join("\n")
                ),
            }
        }
    }

    /// Waits for the next payload the agent refuses (its `message_refused`
    /// event) and checks it was refused for `reason` (e.g. `not_utf8`,
    /// `unsigned`): a refusal for another reason first fails the test.
    pub fn wait_refused(&mut self, reason: &str) -> Value {
        let refused = self.wait_event("message_refused");
        assert_eq!(refused["reason"], reason, "{refused}");
        refused
    }

    /// Every log record with event `name` so far, waits or not (waiting for
    /// none): for counting, and for asserting that something never happened.
    pub fn events(&mut self, name: &str) -> Vec<Value> {
        self.drain_logs();
        self.log_history
            .iter()
            .filter_map(|line| record(line))
            .filter(|r| r["event"] == name)
            .collect()
    }

    /// The next message the agent printed, waiting at most [`crate::WAIT`].
    pub fn next_message(&mut self) -> Value {
        let line = self.next_line();
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("agent printed a non-JSON line ({e}): {line}"))
    }

    /// The next stdout line, waiting at most [`crate::WAIT`].
    pub fn next_line(&mut self) -> String {
        self.next_line_within(self.wait)
    }

    /// The lines of the next terminal alert block (`--output terminal`), up
    /// to and with its footer (`---- …`, in every language), each line
    /// waited for at most [`crate::WAIT`].
    pub fn next_block(&mut self) -> Vec<String> {
        let mut block: Vec<String> = Vec::new();
        while !block.last().is_some_and(|l| l.starts_with("---- ")) {
            block.push(self.next_line());
        }
        block
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

    /// Every stderr line so far, as written (waiting for none): for failure
    /// reports, and for checks on everything the agent wrote (no secret).
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

    /// Waits for the agent to exit, at most [`crate::WAIT`], then for the
    /// rest of its stderr: its last lines may still be on their way to the
    /// reader thread when the process is gone.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + self.wait;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.read_logs_to_end(deadline);
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("agent did not exit within {:?}", self.wait);
    }

    /// Takes stderr lines until the pipe's end (every holder closed it), or
    /// until `deadline` (a program the agent started may still hold it).
    fn read_logs_to_end(&mut self, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.logs.recv_timeout(left) {
                Ok(line) => self.log_history.push(line),
                Err(_) => return, // the end, or the deadline
            }
        }
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
/// choose an output, `--log-format json` unless they choose a log format,
/// and a fresh `--state-dir` (returned, removed on drop) unless `args` give
/// one.
fn agent_command(
    launcher: &Launcher,
    server_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Command, Option<tempfile::TempDir>) {
    let mut cmd = launcher.command("subscriber");
    if !args.contains(&"--output") {
        cmd.args(["--output", "json"]);
    }
    if !args.contains(&"--log-format") {
        cmd.args(["--log-format", "json"]);
    }
    let state_dir =
        (!args.contains(&"--state-dir")).then(|| tempfile::tempdir().expect("state dir"));
    if let Some(dir) = &state_dir {
        cmd.arg("--state-dir").arg(launcher.path_arg(dir.path()));
    }
    cmd.args(["--server", server_url])
        .args(args)
        .env_remove("NATS_URL")
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .env(SYSTEM_CONFIG_VAR, "")
        .envs(ENGLISH)
        .env_remove("REMOTE_MESSAGE_LANG")
        .envs(env.iter().copied());
    (cmd, state_dir)
}

/// A log line as a JSON record, if it is one (an object); a panic or a
/// line a hook wrote is not.
fn record(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(Value::is_object)
}

/// An agent's stdout pipe that nobody reads until `gate` opens.
struct Held {
    gate: Receiver<()>,
    reader: std::io::PipeReader,
    /// Becomes the agent's stdout.
    writer: std::io::PipeWriter,
}

/// Lets a held stdout be read (see [`Agent::spawn_with_stdout_held`]), and
/// tells meanwhile whether the held pipe is full.
pub struct StdoutGate {
    open: std::sync::mpsc::Sender<()>,
    /// A second write end of the agent's stdout pipe, never written: it
    /// only asks the kernel whether a write could go in. Dropped on open,
    /// so the reader sees the end of stdout once the agent exits.
    probe: Option<std::io::PipeWriter>,
}

impl StdoutGate {
    pub fn open(mut self) {
        self.probe = None;
        let _ = self.open.send(());
    }

    /// Waits, at most [`crate::WAIT`], until the held pipe is full: the
    /// kernel says no write can go in (`poll` on a write end reports it
    /// not writable once every buffer of the pipe is taken). From then on
    /// an agent with more to show is blocked writing to its stdout, and
    /// nobody reads. Returns how many bytes the pipe holds then (`FIONREAD`;
    /// less than its 64 KiB when writes left buffers part-filled, which is
    /// why the byte count alone cannot tell). What is measured is the pipe
    /// itself, not a guess of how long the agent takes to fill it.
    pub fn wait_full(&self) -> usize {
        let probe = self.probe.as_ref().expect("the gate is held");
        let deadline = Instant::now() + crate::WAIT;
        while writable(probe) {
            assert!(
                Instant::now() < deadline,
                "the agent's stdout pipe still takes writes after {:?} ({} bytes in it)",
                crate::WAIT,
                held(probe)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        held(probe)
    }
}

/// Whether a write to `pipe` could put anything in it now.
fn writable(pipe: &impl AsFd) -> bool {
    use std::os::fd::AsRawFd;
    let mut poll = nix::libc::pollfd {
        fd: pipe.as_fd().as_raw_fd(),
        events: nix::libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: poll(2) reads and writes the one pollfd, which outlives the call.
    let ready = unsafe { nix::libc::poll(&mut poll, 1, 0) };
    assert!(ready >= 0, "poll: {}", std::io::Error::last_os_error());
    poll.revents & nix::libc::POLLOUT != 0
}

/// How many bytes wait unread in `pipe`.
fn held(pipe: &impl AsFd) -> usize {
    use std::os::fd::AsRawFd;
    let mut held: nix::libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int, to `held`, which outlives the call.
    let result =
        unsafe { nix::libc::ioctl(pipe.as_fd().as_raw_fd(), nix::libc::FIONREAD, &mut held) };
    assert_eq!(result, 0, "FIONREAD: {}", std::io::Error::last_os_error());
    usize::try_from(held).expect("FIONREAD")
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

/// The JSON lines a program appended to the file at `path` (e.g. an
/// `--exec` hook, once per message), once there are `count`, waiting at
/// most `limit`. Panics if a line is not JSON.
pub fn wait_json_lines(path: &std::path::Path, count: usize, limit: Duration) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        if lines.len() >= count {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{} got {} of {count} lines within {limit:?}: {text}",
            path.display(),
            lines.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON log record is read as one; a panic message, a hook's line or
    /// a JSON value that is no object (a bare string) is text.
    #[test]
    fn only_json_objects_are_records() {
        let line = r#"{"timestamp":"t","level":"INFO","event":"subscribed","reconnect":true,"message":"m"}"#;
        let parsed = record(line).expect("a record");
        assert_eq!(parsed["event"], "subscribed");
        assert_eq!(parsed["reconnect"], true);
        assert!(record("thread 'main' panicked at src/main.rs:3:5").is_none());
        assert!(record(r#""subscribed""#).is_none());
        assert!(record("").is_none());
    }

    /// `wait_full` returns once a writer nobody reads has filled the pipe
    /// (the writer is then blocked), though the pipe holds less than its
    /// size: the writes left buffers part-filled, as an agent's lines do. A
    /// pipe with a line in it takes more writes: not full.
    #[test]
    fn a_full_pipe_is_seen_as_full() {
        let (reader, mut writer) = std::io::pipe().expect("pipe");
        let (open, _opened) = channel();
        let gate = StdoutGate {
            open,
            probe: Some(writer.try_clone().expect("dup")),
        };
        writer.write_all(b"one line\n").expect("write");
        assert!(writable(&writer));
        assert_eq!(held(&writer), 9);
        // Lines of 16 KiB and a bit, far more than any pipe holds: the
        // writer blocks once it is full.
        let blocked = std::thread::spawn(move || {
            let line = [vec![b'y'; 16 * 1024 + 200], b"\n".to_vec()].concat();
            (0..256).try_for_each(|_| writer.write_all(&line))
        });
        let in_pipe = gate.wait_full();
        assert!(in_pipe > 9, "{in_pipe}");
        assert!(!blocked.is_finished(), "the writer was not blocked");
        drop(reader); // The last read end: the writer fails instead of blocking.
        assert!(blocked.join().expect("writer").is_err());
    }
}
