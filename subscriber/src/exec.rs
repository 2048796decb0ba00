//! The `--exec PROGRAM` hook: runs a program of the user's once per message,
//! with the message as one JSON object on its stdin (the `--output json`
//! line), so a message can also play a sound, open a window or feed a log.
//!
//! The program is started directly, never through a shell: a message text
//! such as `$(touch /tmp/x)` stays data. Runs happen one at a time, in the
//! order messages were shown, off the agent's main loop; a run that fails or
//! outlives `--exec-timeout` is logged (and killed, with everything it
//! started) and the agent goes on. The program's stdout and stderr go to the
//! agent's stderr, so stdout keeps carrying only messages. For a message
//! that offers answers, the first non-empty line the program prints on its
//! stdout, when it is one of the labels (or its number), is the user's
//! answer (`via exec`).
//!
//! What differs by platform (what "everything it started" is, and how it is
//! killed as a whole: a process group on Unix, a job object on Windows)
//! lives in one module, `unix` or `windows`, behind the same small `Run`;
//! the logic here is the same everywhere.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as platform;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as platform;

use crate::delivery::{Acted, Ticket, UserAction};
use remote_message::ledger::AnsweredVia;
use remote_message::MessageId;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

/// Why the hook cannot start. Shown as the agent's error at start (a usage
/// error: the command line names no program that can run).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(
        "--exec {}: no executable file of that name (give a path, or a program on PATH)",
        .program.display()
    )]
    Missing {
        program: PathBuf,
        #[source]
        source: which::Error,
    },
}

/// How long one run may take when `--exec-timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs waiting their turn; past this, new ones are dropped with a warning.
const QUEUE_LIMIT: usize = 1_000;

/// How long the rest of the program's stdout is read once it ended.
const STDOUT_GRACE: Duration = Duration::from_millis(200);

/// Most of the program's stdout kept (to find its answer and pass it on
/// to stderr); the rest is read and dropped.
const STDOUT_LIMIT: usize = 4096;

/// One message for the program.
struct Run {
    message_id: MessageId,
    json: String,
    /// A message that offers answers: its ticket, and where an answer the
    /// program prints goes.
    answer_to: Option<(Ticket, mpsc::UnboundedSender<Acted>)>,
}

/// A started hook: hand it messages with [`Hook::run`].
pub struct Hook {
    queue: mpsc::Sender<Run>,
    program: PathBuf,
    /// Where the answers the program prints go, if anywhere.
    acks: Option<mpsc::UnboundedSender<Acted>>,
}

impl Hook {
    /// Checks that `program` can be run and starts the worker that runs it.
    /// The worker is one of the agent's `tasks`; it ends once the hook is
    /// dropped and the queued runs are done.
    pub fn start(
        program: &Path,
        timeout: Duration,
        tasks: &TaskTracker,
    ) -> Result<Hook, ExecError> {
        let program = resolve(program)?;
        let (queue, runs) = mpsc::channel(QUEUE_LIMIT);
        tasks.spawn(work(program.clone(), timeout, runs));
        Ok(Hook {
            queue,
            program,
            acks: None,
        })
    }

    /// Sends the answers the program prints to `acks`.
    pub fn answering_to(mut self, acks: mpsc::UnboundedSender<Acted>) -> Hook {
        self.acks = Some(acks);
        self
    }

    /// Queues one run with `json` (one JSON object) on the program's
    /// stdin; whether it was queued.
    pub fn run(&self, message_id: &MessageId, json: String) -> bool {
        self.queue_run(Run {
            message_id: message_id.clone(),
            json,
            answer_to: None,
        })
    }

    /// [`Hook::run`] for a message shown (`ticket`): when it offers
    /// answers, what the program prints may answer it.
    pub fn run_for(&self, ticket: Ticket, json: String) -> bool {
        let message_id = ticket.message_id().clone();
        let answer_to = match &self.acks {
            Some(acks) if !ticket.answers().is_empty() => Some((ticket, acks.clone())),
            _ => None,
        };
        self.queue_run(Run {
            message_id,
            json,
            answer_to,
        })
    }

    fn queue_run(&self, run: Run) -> bool {
        let message_id = run.message_id.clone();
        let queued = self.queue.try_send(run).is_ok();
        if !queued {
            warn!(
                "--exec {}: {QUEUE_LIMIT} runs are waiting already; not run for message {message_id}",
                self.program.display()
            );
        }
        queued
    }
}

/// The program to run: a path with a `/` as given, else the first
/// executable of that name on `PATH`.
fn resolve(program: &Path) -> Result<PathBuf, ExecError> {
    let found = which::which(program).map_err(|source| ExecError::Missing {
        program: program.to_owned(),
        source,
    })?;
    // A path is run (and named in the logs) as the user wrote it; `which`
    // would make a relative one absolute.
    Ok(if is_path(program) {
        program.to_owned()
    } else {
        found
    })
}

/// Whether `program` names a file rather than a name to look up on `PATH`.
fn is_path(program: &Path) -> bool {
    program.components().count() > 1 || program.is_absolute()
}

/// Runs each queued message in turn until the agent stops.
async fn work(program: PathBuf, timeout: Duration, mut runs: mpsc::Receiver<Run>) {
    while let Some(run) = runs.recv().await {
        let shown = program.display();
        let read = run.answer_to.is_some();
        let (outcome, printed) = run_reading(&program, &run.json, timeout, read).await;
        if let Some((ticket, acks)) = run.answer_to {
            if let Some(label) = answer_in(&printed, &ticket) {
                let _ = acks.send(Acted {
                    ticket,
                    action: UserAction::Answer(label),
                    via: AnsweredVia::Exec,
                });
            }
        }
        match outcome {
            Ok(status) if status.success() => {
                debug!("--exec {shown} done for message {}", run.message_id)
            }
            Ok(status) => warn!(
                event = remote_message::Event::ExecFailed.name(),
                status = status.code(),
                "--exec {shown} failed for message {} ({status}); going on",
                run.message_id
            ),
            Err(RunError::Start(e)) => warn!(
                "--exec {shown}: cannot run it for message {} ({e}); going on",
                run.message_id
            ),
            Err(RunError::TimedOut) => warn!(
                event = remote_message::Event::ExecKilled.name(),
                "--exec {shown} still running after {} for message {}: killed; going on",
                humantime::format_duration(timeout),
                run.message_id
            ),
        }
    }
}

enum RunError {
    Start(std::io::Error),
    TimedOut,
}

/// The answer the program printed: its first non-empty line, when that is
/// one of the ticket's labels or numbers.
fn answer_in(printed: &[u8], ticket: &Ticket) -> Option<String> {
    let text = String::from_utf8_lossy(printed);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    match ticket.answers().resolve(line) {
        Some(label) => Some(label.to_owned()),
        None => {
            debug!(
                "--exec printed {line:?} for message {}: not one of its answers",
                ticket.message_id()
            );
            None
        }
    }
}

/// One run: the program in a process group (Unix) or job object (Windows)
/// of its own, so that a timeout kills whatever it started too.
#[cfg(test)]
async fn run_once(
    program: &Path,
    json: &str,
    timeout: Duration,
) -> Result<std::process::ExitStatus, RunError> {
    run_reading(program, json, timeout, false).await.0
}

/// [`run_once`]; with `read`, the start of what the program printed on
/// stdout is returned too (and passed on to stderr); without, its stdout is
/// the agent's stderr.
async fn run_reading(
    program: &Path,
    json: &str,
    timeout: Duration,
    read: bool,
) -> (Result<std::process::ExitStatus, RunError>, Vec<u8>) {
    let mut command = tokio::process::Command::new(program);
    let stdout = if read {
        Stdio::piped()
    } else {
        std::io::stderr().into()
    };
    command
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(std::io::stderr())
        .kill_on_drop(true);
    let mut child = match platform::Run::spawn(command) {
        Ok(child) => child,
        Err(e) => return (Err(RunError::Start(e)), Vec::new()),
    };
    let mut stdin = child.take_stdin();
    let stdout = child.take_stdout();
    let mut printed = Vec::new();
    let finished = tokio::time::timeout(timeout, async {
        let fed = async {
            if let Some(stdin) = stdin.as_mut() {
                // A program that does not read its stdin is fine.
                let _ = stdin.write_all(json.as_bytes()).await;
                let _ = stdin.write_all(b"\n").await;
            }
            drop(stdin.take());
            child.wait().await
        };
        let mut fed = pin!(fed);
        let mut reading = pin!(read_stdout(stdout, &mut printed));
        tokio::select! {
            status = &mut fed => {
                // What it printed before it ended; a child it left behind
                // holding its stdout does not hold the run.
                let _ = tokio::time::timeout(STDOUT_GRACE, &mut reading).await;
                status
            }
            () = &mut reading => fed.await,
        }
    })
    .await;
    let outcome = match finished {
        Ok(status) => status.map_err(RunError::Start),
        Err(_) => {
            child.kill_all().await;
            Err(RunError::TimedOut)
        }
    };
    if !printed.is_empty() {
        let mut stderr = tokio::io::stderr();
        let _ = stderr.write_all(&printed).await;
        let _ = stderr.flush().await;
    }
    (outcome, printed)
}

/// Reads the program's stdout to its end, keeping the first
/// [`STDOUT_LIMIT`] bytes in `printed`.
async fn read_stdout(stdout: Option<tokio::process::ChildStdout>, printed: &mut Vec<u8>) {
    let Some(mut stdout) = stdout else { return };
    let mut chunk = [0u8; 1024];
    loop {
        match stdout.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let room = STDOUT_LIMIT.saturating_sub(printed.len());
                printed.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::platform::fixtures::{copy_stdin_and_exit, script, shell_path, SHELL};
    use super::*;

    /// The shell is found on PATH by name, and taken as given by its
    /// absolute path; a name on no PATH entry, a directory and a plain text
    /// file (no x bit on unix, no program extension on Windows) are refused,
    /// with the name in the error.
    #[test]
    fn programs_resolve_on_path_or_by_path_and_others_are_refused() {
        let on_path = resolve(Path::new(SHELL)).unwrap();
        assert!(on_path.is_absolute(), "{}", on_path.display());
        let absolute = shell_path();
        assert_eq!(resolve(&absolute).unwrap(), absolute);
        let err = resolve(Path::new("no-such-program-here")).unwrap_err();
        assert!(err.to_string().contains("no-such-program-here"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        assert!(resolve(dir.path()).is_err());
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "not a program\n").unwrap();
        assert!(resolve(&plain).is_err());
    }

    /// A relative path with a separator is kept as the user wrote it (the
    /// logs name it so), not made absolute.
    #[test]
    fn a_relative_path_is_kept_as_written() {
        let dir = tempfile::tempdir_in(".").unwrap();
        let hook = script(dir.path(), "exit 0");
        let name = dir.path().file_name().unwrap();
        let relative = Path::new(".").join(name).join(hook.file_name().unwrap());
        assert_eq!(resolve(&relative).unwrap(), relative);
    }

    /// A run gets the JSON on its stdin and its exit status back.
    #[tokio::test]
    async fn a_run_reads_its_stdin_and_reports_its_status() {
        let dir = tempfile::tempdir().unwrap();
        let got = dir.path().join("got");
        let hook = script(dir.path(), &copy_stdin_and_exit(&got, 3));
        let status = run_once(&hook, "{\"id\":\"m1\"}", Duration::from_secs(10))
            .await
            .ok()
            .expect("the hook ran");
        assert_eq!(status.code(), Some(3));
        // The line as the script wrote it back: `\n` from sh, `\r\n` from cmd.
        let got = std::fs::read_to_string(got).unwrap();
        assert_eq!(
            got.trim_end_matches(['\r', '\n']),
            "{\"id\":\"m1\"}",
            "{got:?}"
        );
    }
}
