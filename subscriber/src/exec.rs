//! The `--exec PROGRAM` hook: runs a program of the user's once per message,
//! with the message as one JSON object on its stdin (the `--output json`
//! line), so a message can also play a sound, open a window or feed a log.
//!
//! The program is started directly, never through a shell: a message text
//! such as `$(touch /tmp/x)` stays data. Runs happen one at a time, in the
//! order messages were shown, off the agent's main loop; a run that fails or
//! outlives `--exec-timeout` is logged (and killed, with everything it
//! started) and the agent goes on. The program's stdout and stderr go to the
//! agent's stderr, so stdout keeps carrying only messages.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// How long one run may take when `--exec-timeout` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs waiting their turn; past this, new ones are dropped with a warning.
const QUEUE_LIMIT: usize = 1_000;

/// One message for the program.
struct Run {
    message_id: String,
    json: String,
}

/// A started hook: hand it messages with [`Hook::run`].
pub struct Hook {
    queue: mpsc::Sender<Run>,
    program: PathBuf,
}

impl Hook {
    /// Checks that `program` can be run and starts the worker that runs it.
    pub fn start(program: &Path, timeout: Duration) -> Result<Hook, String> {
        let program = resolve(program)?;
        let (queue, runs) = mpsc::channel(QUEUE_LIMIT);
        tokio::spawn(work(program.clone(), timeout, runs));
        Ok(Hook { queue, program })
    }

    /// Queues one run with `json` (one JSON object) on the program's stdin.
    pub fn run(&self, message_id: &str, json: String) {
        let run = Run {
            message_id: message_id.to_owned(),
            json,
        };
        if self.queue.try_send(run).is_err() {
            warn!(
                "--exec {}: {QUEUE_LIMIT} runs are waiting already; not run for message {message_id}",
                self.program.display()
            );
        }
    }
}

/// The program to run: a path with a `/` as given, else the first
/// executable of that name on `PATH`.
fn resolve(program: &Path) -> Result<PathBuf, String> {
    let shown = program.display();
    let candidates: Vec<PathBuf> = if program.components().count() > 1 || program.is_absolute() {
        vec![program.to_owned()]
    } else {
        std::env::var_os("PATH")
            .map(|path| {
                std::env::split_paths(&path)
                    .map(|dir| dir.join(program))
                    .collect()
            })
            .unwrap_or_default()
    };
    candidates
        .into_iter()
        .find(|c| is_executable(c))
        .ok_or_else(|| {
            format!("--exec {shown}: no executable file of that name (give a path, or a program on PATH)")
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs each queued message in turn until the agent stops.
async fn work(program: PathBuf, timeout: Duration, mut runs: mpsc::Receiver<Run>) {
    while let Some(run) = runs.recv().await {
        let shown = program.display();
        match run_once(&program, &run.json, timeout).await {
            Ok(status) if status.success() => {
                debug!("--exec {shown} done for message {}", run.message_id)
            }
            Ok(status) => warn!(
                "--exec {shown} failed for message {} ({status}); going on",
                run.message_id
            ),
            Err(RunError::Start(e)) => warn!(
                "--exec {shown}: cannot run it for message {} ({e}); going on",
                run.message_id
            ),
            Err(RunError::TimedOut) => warn!(
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

/// One run: the program in a process group of its own, so that a timeout
/// kills whatever it started too.
async fn run_once(
    program: &Path,
    json: &str,
    timeout: Duration,
) -> Result<std::process::ExitStatus, RunError> {
    let to_stderr = || {
        std::io::stderr()
            .as_fd()
            .try_clone_to_owned()
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null())
    };
    let mut child = tokio::process::Command::new(program)
        .stdin(Stdio::piped())
        .stdout(to_stderr())
        .stderr(to_stderr())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(RunError::Start)?;
    let group = child.id();
    let mut stdin = child.stdin.take();
    let finished = tokio::time::timeout(timeout, async {
        if let Some(stdin) = stdin.as_mut() {
            // A program that does not read its stdin is fine.
            let _ = stdin.write_all(json.as_bytes()).await;
            let _ = stdin.write_all(b"\n").await;
        }
        drop(stdin.take());
        child.wait().await
    })
    .await;
    match finished {
        Ok(status) => status.map_err(RunError::Start),
        Err(_) => {
            if let Some(group) = group.and_then(|g| i32::try_from(g).ok()) {
                // SAFETY: kill(2) on the process group we created; no memory is involved.
                unsafe {
                    libc::kill(-group, libc::SIGKILL);
                }
            }
            let _ = child.kill().await;
            Err(RunError::TimedOut)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_resolve_on_path_or_by_path_and_others_are_refused() {
        assert!(resolve(Path::new("sh")).is_ok());
        assert!(resolve(Path::new("/bin/sh")).is_ok());
        let err = resolve(Path::new("no-such-program-here")).unwrap_err();
        assert!(err.contains("no-such-program-here"), "{err}");
        // A directory or a file without the x bit is not a program.
        assert!(resolve(Path::new("/tmp")).is_err());
    }
}
