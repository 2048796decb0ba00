//! Unix: mode 0700.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub fn make_private(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}
