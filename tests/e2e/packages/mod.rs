//! The release packages (`scripts/package`) installed for real, as IT rolls
//! them out. Only with the `packages` feature, which the scripts that make
//! the packages and the place to install them turn on:
//!
//! - [`deb`]: the .deb in a clean Debian root (`scripts/packaging/test-deb`):
//!   files in place, the unit verified, the agent running from the system
//!   settings file, removal and purge.
//! - [`msi`]: the .msi under wine (`scripts/packaging/test-msi`): the
//!   built tables, a silent install with properties, the installed agents
//!   running from the registry settings, an upgrade, an uninstall that
//!   leaves nothing it added.

mod deb;
mod msi;
