//! Harness for the end-to-end tests (`tests/e2e/`, one test binary):
//! real processes only.
//!
//! - [`server`]: one helper owns each `nats-server` (free port, own temp dir,
//!   killed on drop), started from the small configs in `tests/configs/`.
//! - [`procs`]: the real `publisher` and `subscriber` binaries, with bounded
//!   waits on the lines they print.
//! - [`exit`]: the publisher's exit codes, as scripts see them.
//! - [`raw`]: a minimal NATS protocol client over a plain TCP socket, playing
//!   "any other NATS client" and watching the wire.
//! - [`proxy`]: a TCP proxy that cuts connections on demand.
//! - [`desktop`]: a private X display, D-Bus session bus and notification daemon.
//! - [`identity`]: the per-session identity mode, set up with `publisher admin`.
//! - [`tls`]: certificates made at test time.
//! - [`wine`]: the Windows builds run under wine in place of the Linux ones
//!   (`tests/e2e/platforms/windows.rs`, run by `scripts/test-platforms`).
//! - [`debian`]: clean Debian roots where the .deb is installed for real
//!   (`tests/e2e/packages/deb.rs`, run by `scripts/packaging/test-deb`).

// Unix only: the harness drives real processes with unix signals, pipes
// and file modes, and the end-to-end suite runs on Linux. The Windows agent
// is tested end to end under wine by scripts/test-platforms instead;
// tests/e2e/main.rs is gated the same way.
#![cfg(unix)]

pub mod debian;
pub mod desktop;
pub mod exit;
pub mod identity;
pub mod procs;
pub mod proxy;
pub mod raw;
pub mod server;
pub mod tls;
pub mod wine;

pub use procs::{expect_exit, publisher, publisher_with_stdin, stderr, Agent};
pub use raw::RawClient;
pub use server::NatsServer;

use std::time::Duration;

/// Upper bound for anything a test waits on that should take milliseconds.
pub const WAIT: Duration = Duration::from_secs(10);

/// The permission bits of the file or directory at `path` (0o600 for a
/// private file).
pub fn file_mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}
