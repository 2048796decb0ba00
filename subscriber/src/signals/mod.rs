//! The OS signals that stop the agent, installed by `main` and handed to
//! `runner::run` as a future, so that `run` itself never touches
//! process-wide state. One file per OS: the rest of the agent is the same
//! everywhere.

mod stop;
pub use stop::StopReason;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::Signals;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::Signals;
