//! Platforms: the agent started by the system on Linux, and the Windows
//! builds end to end under wine.
//!
//! - [`app_bundle`]: `subscriber bundle` makes the macOS app and an
//!   installer package's payload on Linux; its plists read back by Python.
//! - [`autostart`]: `subscriber install` / `uninstall`, with a fake
//!   `systemctl`.
//! - [`service`]: the systemd user unit in `deploy/systemd/` parses with the
//!   real parser and restarts on failure.
//! - `windows`: the Windows builds under wine. Only with the `wine` feature,
//!   which `scripts/test-platforms` turns on once it has built the .exe
//!   files and a wine prefix (without them each of its tests fails, saying
//!   so); it runs them alone with the filter `platforms::windows::`.

mod app_bundle;
mod autostart;
mod service;
#[cfg(feature = "wine")]
mod windows;
