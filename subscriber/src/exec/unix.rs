//! The hook on Unix: each run leads a process group of its own, so that a
//! run that overstays is killed with everything it started (a shell script's
//! `sleep`, say), not just the program itself.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::io;
use std::process::ExitStatus;
use tokio::process::{Child, ChildStdin, Command};

/// A started run: the program, leader of its own process group.
pub(super) struct Run(Child);

impl Run {
    /// Starts `command` as the leader of a new process group.
    pub(super) fn spawn(mut command: Command) -> io::Result<Run> {
        command.process_group(0);
        command.spawn().map(Run)
    }

    /// The program's stdin, once.
    pub(super) fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.0.stdin.take()
    }

    pub(super) fn take_stdout(&mut self) -> Option<tokio::process::ChildStdout> {
        self.0.stdout.take()
    }

    /// Waits for the program itself to exit.
    pub(super) async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.0.wait().await
    }

    /// SIGKILLs the whole process group (its id is the program's pid), then
    /// reaps the program.
    pub(super) async fn kill_all(&mut self) {
        if let Some(group) = self.0.id().and_then(|id| i32::try_from(id).ok()) {
            if let Err(e) = killpg(Pid::from_raw(group), Signal::SIGKILL) {
                // ESRCH: everything in the group has exited already.
                tracing::debug!("--exec: killing process group {group}: {e}");
            }
        }
        let _ = self.0.kill().await;
    }
}

/// Scripts for the hook's tests: `/bin/sh`.
#[cfg(test)]
pub(super) mod fixtures {
    use std::path::{Path, PathBuf};

    /// A shell found on PATH by name.
    pub const SHELL: &str = "sh";

    /// The same shell by its absolute path.
    pub fn shell_path() -> PathBuf {
        PathBuf::from("/bin/sh")
    }

    /// An executable `/bin/sh` script `hook` in `dir`.
    pub fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("hook");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A script body copying its stdin to `to`, then exiting with `code`.
    pub fn copy_stdin_and_exit(to: &Path, code: u8) -> String {
        format!("cat > '{}'; exit {code}", to.display())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{run_once, RunError};
    use super::fixtures::script;
    use nix::errno::Errno;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    use std::time::Duration;

    /// A run that overstays is killed with what it started: the script's
    /// background child, in the same process group, is gone too.
    #[tokio::test]
    async fn an_overstaying_run_is_killed_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let hook = script(
            dir.path(),
            &format!("sleep 60 & echo $! > '{}'; wait", pid_file.display()),
        );
        let outcome = run_once(&hook, "{}", Duration::from_millis(500)).await;
        assert!(matches!(outcome, Err(RunError::TimedOut)));
        let pid: i32 = std::fs::read_to_string(pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Gone: signal 0 finds no such pid, or (Linux) it is a zombie that
        // init has yet to reap. Its shell died with it, so init is its parent.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let alive = kill(Pid::from_raw(pid), None);
            if alive == Err(Errno::ESRCH) || is_zombie(pid) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the hook's sleep (pid {pid}) outlived it: {alive:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether /proc says `pid` is a zombie (false where there is no /proc).
    fn is_zombie(pid: i32) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(") ")
            .next()
            .and_then(|rest| rest.chars().next());
        state == Some('Z')
    }
}
