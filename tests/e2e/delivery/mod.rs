//! Delivery: each message reaches the screens it should, once, whatever the
//! payload, the network or the server does.
//!
//! - [`core`]: broadcast and session sends, input validation, the
//!   publisher's failure modes.
//! - [`payloads`]: whatever any NATS client publishes is shown or skipped.
//! - [`exec`]: the `--exec` hook, a program of the user's run per message.
//! - [`lifecycle`]: ledger rows, answers (`subscriber answer`, the `--exec`
//!   program), recall, reminders, and rows only under the agent's own id.
//! - [`reliability`]: nothing lost, nothing shown twice, across restarts,
//!   cut connections and a lost cluster node.
//! - [`resilience`]: the agent starts before the server, survives its crash
//!   and stops cleanly on a signal.
//! - [`leafnode`]: a branch office behind a leafnode with its own domain.
//! - [`websocket`]: both binaries over WebSocket, plain and TLS.

mod core;
mod exec;
mod leafnode;
pub(crate) mod lifecycle;
mod payloads;
mod reliability;
mod resilience;
mod websocket;
