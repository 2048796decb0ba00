//! The console control events a Windows agent can take: Ctrl-C and
//! Ctrl-Break (typed in its console, or sent with `GenerateConsoleCtrlEvent`)
//! and its console window being closed. Each starts the same drain as
//! SIGINT/SIGTERM on unix. On close, Windows ends the process once the
//! handler returns or after about 5 s; tokio's handler holds the close
//! until the process exits, and the drain takes at most 2 s.
//!
//! Logoff and shutdown are not here, because a program in the user's
//! session never sees them: the console documentation (HandlerRoutine) says
//! `CTRL_LOGOFF_EVENT` and `CTRL_SHUTDOWN_EVENT` reach services only, since
//! interactive programs are ended before they are sent (and a program that
//! loads user32.dll gets neither). At logoff Windows ends the agent without
//! notice, as SIGKILL would: what it has shown is already in its state
//! journal (written after each message), and it leaves the session list
//! when its connection drops (it no longer answers the list's ping).

use super::StopReason;
use std::io;
use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, CtrlBreak, CtrlC, CtrlClose};

/// The installed handlers.
pub struct Signals {
    c: CtrlC,
    brk: CtrlBreak,
    close: CtrlClose,
}

impl Signals {
    /// Installs the handlers: from here on these events no longer end the
    /// process, they are reported by [`Signals::recv`].
    pub fn install() -> io::Result<Signals> {
        Ok(Signals {
            c: ctrl_c()?,
            brk: ctrl_break()?,
            close: ctrl_close()?,
        })
    }

    /// The next stop event.
    pub async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.c.recv() => StopReason::Signal("Ctrl-C"),
            _ = self.brk.recv() => StopReason::Signal("Ctrl-Break"),
            _ = self.close.recv() => StopReason::Signal("console closed"),
        }
    }
}
