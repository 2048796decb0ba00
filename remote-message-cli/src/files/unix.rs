//! The unix steps of a private write: mode 0600, and syncing the directory
//! so that a rename in it is durable.

use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Owner read and write only (tempfile already creates its files 0600;
/// this makes it explicit and independent of that).
pub fn make_private(file: &File) -> io::Result<()> {
    file.set_permissions(Permissions::from_mode(0o600))
}

/// Syncs the directory entry, so a rename into `dir` survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
