//! The release packages (`scripts/package`) installed for real, as IT rolls
//! them out. Only with the `packages` feature, which the scripts that make
//! the packages and the place to install them turn on:
//!
//! - `deb`: the .deb in a clean Debian root (`scripts/packaging/test-deb`).
//! - `msi`: the .msi under wine (`scripts/packaging/test-msi`).

mod msi;
