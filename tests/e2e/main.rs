//! The end-to-end tests: the real `publisher` and `subscriber` binaries
//! against a real `nats-server`, driven by the harness (the root package's
//! library, `tests/support`). One test binary, so the harness and every
//! dependency are linked once, with its tests grouped by what users care
//! about:
//!
//! - [`delivery`]: each message reaches the screens it should, once,
//!   whatever the payload, the network or the server does;
//! - [`sessions`]: who is connected and who got it, and 4D's own session ids;
//! - [`security`]: only ops put words on a screen, nobody reads another
//!   session's messages, secrets stay secret, hostile traffic stays bounded;
//! - [`desktop`]: what people see: notifications, the terminal, languages;
//! - [`platforms`]: the agent started by the system (systemd), and the
//!   Windows builds under wine;
//! - [`operations`]: what ops set up and script: settings files, `nats`
//!   contexts and variables, `--json`, help and completions, the demo;
//! - `packages` (with the `packages` feature): the .deb and the .msi
//!   installed for real.
//!
//! One group: `cargo nextest run -p e2e --test e2e -E 'test(/^security::/)'`.

// Unix only, like the harness (tests/support/lib.rs says why).
#![cfg(unix)]

mod delivery;
mod desktop;
mod operations;
#[cfg(feature = "packages")]
mod packages;
mod platforms;
mod security;
mod sessions;
