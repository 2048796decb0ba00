//! SIGTERM (service managers, `kill`) and SIGINT (Ctrl-C in a terminal).

use super::stop::StopReason;
use std::io;
use tokio::signal::unix::{signal, Signal, SignalKind};

/// The installed handlers.
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Installs the handlers: from here on these signals no longer kill the
    /// process, they are reported by [`Signals::recv`].
    pub fn install() -> io::Result<Signals> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.terminate.recv() => StopReason::Signal("SIGTERM"),
            _ = self.interrupt.recv() => StopReason::Signal("SIGINT"),
        }
    }
}
