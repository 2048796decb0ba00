//! The publisher's exit codes, as docs/scripts.md lists them for scripts:
//! the tests assert these numbers, which scripts rely on, rather than the
//! product's own constants (remote-message-cli/src/exit.rs), which could
//! move together with the code under test.

/// Usage or invalid input; nothing was sent.
pub const USAGE: i32 = 2;
/// The server cannot be reached, refused, or did not confirm in time.
pub const SERVER: i32 = 3;
/// Sent, but some target did not confirm (not connected, or no receipt in
/// time; a session message is then stored for catch-up).
pub const NOT_CONFIRMED: i32 = 4;
/// `--user` named a user with no live session; nothing was sent.
pub const NO_SESSION: i32 = 5;
/// `--seal`: a target is not live or has no key; nothing was sent.
pub const CANNOT_SEAL: i32 = 6;
