//! The OS signals that stop the agent, installed by `main` and handed to
//! [`crate::runner::run`] as a future, so that `run` itself never touches
//! process-wide state. One file per OS: the rest of the agent is the same
//! everywhere.

use std::fmt;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::Signals;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::Signals;

/// Why the agent stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// An OS signal, by its usual name (`SIGTERM`, `Ctrl-C`, …).
    Signal(&'static str),
    /// The embedding code asked (no signal involved).
    Requested,
}

impl StopReason {
    /// The name logged in the `signal` field of the `stopping` event.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Signal(name) => name,
            StopReason::Requested => "stop requested",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
