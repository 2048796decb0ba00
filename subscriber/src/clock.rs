//! The agent's one monotonic clock is `tokio::time` (tests can pause it);
//! the wall clock (`jiff::Timestamp::now`) is read only where a stream or
//! server position is needed. This module holds what the timers share.

use tokio::time::Instant;

/// Sleeps until `deadline`; with none, for ever (a timer not armed).
pub async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
