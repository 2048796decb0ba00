//! The unix steps of a private write: a new file created with mode 0600, and
//! syncing the directory so that a rename in it is durable; the check that a
//! file is private (no group or other permission bits); and making a
//! directory (0700) or an existing file (0600) private.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
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

/// Creates `path` and its missing parents with mode 0700 (less what the
/// umask takes); sets an existing `path` its group or others could use to
/// 0700 (`true`).
pub fn create_private_dir(path: &Path) -> io::Result<bool> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)?;
    tighten(path, 0o700)
}

/// Sets `path` to 0600 when its group or others had any permission (`true`).
pub fn make_private(path: &Path) -> io::Result<bool> {
    tighten(path, 0o600)
}

/// Sets `path` to `mode` when its group or others have any permission on it.
fn tighten(path: &Path, mode: u32) -> io::Result<bool> {
    let wide = readable_by_others(path)?;
    if wide {
        std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    }
    Ok(wide)
}
