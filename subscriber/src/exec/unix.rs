//! The hook on Unix: each run leads a process group of its own, so that a
//! run that overstays is killed with everything it started (a shell script's
//! `sleep`, say), not just the program itself.

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// Makes the program the leader of a new process group.
pub(super) fn own_group(command: &mut Command) {
    command.process_group(0);
}

/// SIGKILLs the run's whole process group (its id is the child's pid).
pub(super) fn kill_group(child: &Child) {
    let Some(group) = child.id().and_then(|id| i32::try_from(id).ok()) else {
        return; // Already reaped: nothing of it is left to kill.
    };
    if let Err(e) = killpg(Pid::from_raw(group), Signal::SIGKILL) {
        // ESRCH: everything in the group has exited already.
        tracing::debug!("--exec: killing process group {group}: {e}");
    }
}
