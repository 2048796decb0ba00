//! The console control events: Ctrl-C, Ctrl-Break, the console window
//! closing, the user logging off, the system shutting down.

use super::StopReason;
use std::io;
use tokio::signal::windows::{
    ctrl_break, ctrl_c, ctrl_close, ctrl_logoff, ctrl_shutdown, CtrlBreak, CtrlC, CtrlClose,
    CtrlLogoff, CtrlShutdown,
};

/// The installed handlers.
pub struct Signals {
    c: CtrlC,
    brk: CtrlBreak,
    close: CtrlClose,
    logoff: CtrlLogoff,
    shutdown: CtrlShutdown,
}

impl Signals {
    /// Installs the handlers: from here on these events no longer end the
    /// process, they are reported by [`Signals::recv`].
    pub fn install() -> io::Result<Signals> {
        Ok(Signals {
            c: ctrl_c()?,
            brk: ctrl_break()?,
            close: ctrl_close()?,
            logoff: ctrl_logoff()?,
            shutdown: ctrl_shutdown()?,
        })
    }

    /// The next stop event.
    pub async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.c.recv() => StopReason::Signal("Ctrl-C"),
            _ = self.brk.recv() => StopReason::Signal("Ctrl-Break"),
            _ = self.close.recv() => StopReason::Signal("console closed"),
            _ = self.logoff.recv() => StopReason::Signal("logoff"),
            _ = self.shutdown.recv() => StopReason::Signal("shutdown"),
        }
    }
}
