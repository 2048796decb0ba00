//! The unix steps of a private write: a new file created with mode 0600, and
//! syncing the directory so that a rename in it is durable; and the check
//! that a file is private (no group or other permission bits).

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Creates `path`, which must not exist, with owner read and write only.
/// The mode is set again after the open, so a umask cannot change it.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Syncs the directory entry, so a rename into `dir` survives a crash.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Whether the group or others have any permission on `path` (mode & 0o077).
pub fn readable_by_others(path: &Path) -> io::Result<bool> {
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 != 0)
}
