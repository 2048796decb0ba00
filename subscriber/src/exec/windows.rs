//! The hook on Windows: each run is in a job object of its own, so that a
//! run that overstays is killed with everything it started (`cmd /c start`,
//! a script's child), not just the program itself; `TerminateJobObject` is
//! Windows' `killpg`.
//!
//! `process-wrap` (watchexec's) does the part that is easy to get wrong: the
//! program is created suspended, assigned to the job, and only then resumed,
//! so it cannot start a child outside the job before the assignment.
//!
//! Each run is created without a console window (`CREATE_NO_WINDOW`): an
//! agent started at logon has let go of its console (`--background`), and a
//! console program started from it would otherwise open a window of its own
//! for every message. Its output still reaches the agent's stderr.
//!
//! Like a process group on Unix, the job is about the timeout: the run ends
//! when the program exits, and what it left running is left alone (the job
//! is not made kill-on-close).

use process_wrap::tokio::{ChildWrapper, CommandWrap, CreationFlags, JobObject};
use std::io;
use std::process::ExitStatus;
use tokio::process::{ChildStdin, Command};
use windows::Win32::System::Threading::CREATE_NO_WINDOW;

/// A started run: the program, in a job object of its own.
pub(super) struct Run(Box<dyn ChildWrapper>);

impl Run {
    /// Starts `command` suspended and windowless, puts it in a new job,
    /// resumes it.
    pub(super) fn spawn(command: Command) -> io::Result<Run> {
        let mut wrapped = CommandWrap::from(command);
        wrapped.wrap(CreationFlags(CREATE_NO_WINDOW));
        wrapped.wrap(JobObject);
        wrapped.spawn().map(Run)
    }

    /// The program's stdin, once.
    pub(super) fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.0.stdin().take()
    }

    /// The program's stdout, once.
    pub(super) fn take_stdout(&mut self) -> Option<tokio::process::ChildStdout> {
        self.0.stdout().take()
    }

    /// Waits for the program itself to exit (process-wrap's own `wait` would
    /// wait for the whole job to empty; a Unix run waits for its leader only).
    pub(super) async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.0.inner_mut().wait().await
    }

    /// Terminates every process in the job, then reaps the program.
    pub(super) async fn kill_all(&mut self) {
        if let Err(e) = self.0.start_kill() {
            tracing::debug!("--exec: terminating the job object: {e}");
        }
        let _ = self.0.inner_mut().wait().await;
    }
}

/// Scripts for the hook's tests: `cmd.exe` batch files.
#[cfg(test)]
pub(super) mod fixtures {
    use std::path::{Path, PathBuf};

    /// A shell found on PATH by name (PATHEXT adds the `.exe`).
    pub const SHELL: &str = "cmd";

    /// The same shell by its absolute path.
    pub fn shell_path() -> PathBuf {
        std::env::var_os("ComSpec")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\Windows\System32\cmd.exe"))
    }

    /// A batch file `hook.cmd` in `dir` (std runs it with `cmd /c`), lines
    /// ending in CRLF as cmd expects.
    pub fn script(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("hook.cmd");
        let lines: Vec<&str> = ["@echo off"].into_iter().chain(body.lines()).collect();
        std::fs::write(&path, lines.join("\r\n") + "\r\n").unwrap();
        path
    }

    /// A script body copying its stdin (one line) to `to`, then exiting with
    /// `code`.
    pub fn copy_stdin_and_exit(to: &Path, code: u8) -> String {
        format!(
            "set /p line=\necho %line%> \"{}\"\nexit /b {code}",
            to.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{run_once, RunError};
    use super::fixtures::script;
    use std::time::Duration;
    use windows_sys::Win32::Foundation::{CloseHandle, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::System::Diagnostics::ToolHelp::{
        CreateToolhelp32Snapshot, Process32FirstW, Process32NextW, PROCESSENTRY32W,
        TH32CS_SNAPPROCESS,
    };

    /// How many processes run `exe` (by image name, any case) right now.
    fn running(exe: &str) -> usize {
        // SAFETY: a process snapshot, walked with a correctly sized entry
        // and closed at the end.
        unsafe {
            let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
            assert_ne!(
                snapshot,
                INVALID_HANDLE_VALUE,
                "{}",
                std::io::Error::last_os_error()
            );
            let mut entry: PROCESSENTRY32W = std::mem::zeroed();
            entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
            let mut count = 0;
            let mut more = Process32FirstW(snapshot, &mut entry) != 0;
            while more {
                let len = entry.szExeFile.iter().position(|&c| c == 0).unwrap_or(260);
                let name = String::from_utf16_lossy(&entry.szExeFile[..len]);
                if name.eq_ignore_ascii_case(exe) {
                    count += 1;
                }
                more = Process32NextW(snapshot, &mut entry) != 0;
            }
            CloseHandle(snapshot);
            count
        }
    }

    /// A run that overstays is killed with what it started: the script
    /// starts a second `cmd` in the background (`start /b`) running a long
    /// `ping`, waits until that one has written its first line, then runs
    /// a long `ping` itself. After the timeout no `ping.exe` is left: both,
    /// the background one included, were in the run's job. (Killing only
    /// the program, `cmd`, leaves both pings running for a minute.)
    #[tokio::test]
    async fn an_overstaying_run_is_killed_with_its_job() {
        assert_eq!(running("ping.exe"), 0, "a ping.exe is running already");
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().join("evidence.txt");
        let background = dir.path().join("background.cmd");
        std::fs::write(
            &background,
            format!(
                "@echo off\r\nping -n 60 127.0.0.1 > \"{}\"\r\n",
                evidence.display()
            ),
        )
        .unwrap();
        let hook = script(
            dir.path(),
            &format!(
                "start \"\" /b \"{}\"\n:started\nif not exist \"{}\" goto started\nping -n 60 127.0.0.1 > nul",
                background.display(),
                evidence.display()
            ),
        );
        let outcome = run_once(&hook, "{}", Duration::from_secs(3)).await;
        assert!(matches!(outcome, Err(RunError::TimedOut)));
        assert!(evidence.exists(), "the background child never started");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = running("ping.exe");
            if left == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{left} ping.exe outlived the run"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
