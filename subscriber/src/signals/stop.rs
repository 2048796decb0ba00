//! Why the agent stops: what every OS's signals report, and what an
//! embedding caller's `shutdown` future resolves to. The OS files use this
//! file, never `mod.rs`, which uses them.

use std::fmt;

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
