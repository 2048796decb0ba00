//! Process exit codes, one table for both binaries (also in `--help` and the README).

/// Done: the message was sent (publisher), or the agent was stopped by SIGINT/SIGTERM.
pub const OK: i32 = 0;
/// Something unexpected, e.g. the agent's stdout was closed under it.
pub const FAILURE: i32 = 1;
/// Usage or invalid input (bad flag, bad session id, empty or oversized message,
/// unreadable credentials file). Nothing was sent.
pub const USAGE: i32 = 2;
/// The NATS server could not be reached, or it refused the connection or the message.
pub const SERVER: i32 = 3;

/// Some target did not confirm the message (not connected, or no receipt in
/// time); the others got it.
pub const NOT_CONFIRMED: i32 = 4;
/// `--user` named a user with no live session. Nothing was sent.
pub const NO_SESSION: i32 = 5;

/// `--seal`: a target is not live, or its agent advertises no key. Nothing
/// was sent.
pub const CANNOT_SEAL: i32 = 6;

/// The table as printed at the end of `--help`.
pub const HELP: &str = "\
Exit codes:
  0  sent (publisher) / stopped by SIGINT or SIGTERM (subscriber)
  1  unexpected failure
  2  usage or invalid input; nothing was sent
  3  cannot reach the NATS server, or it refused the connection or the message
  4  sent, but some target did not confirm (not connected, or no receipt in time)
  5  --user named a user with no live session; nothing was sent
  6  --seal: a target session is not live or has no key; nothing was sent";
