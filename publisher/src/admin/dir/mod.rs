//! The admin directory is private: on unix it is created with mode 0700 (its
//! files are 0600 anyway, through `remote_message_cli::files`); on Windows a
//! new directory inherits its parent's ACL and each secret file gets its own
//! DACL for the current user alone (`files`), so nothing more is done here.

use std::io;
use std::path::Path;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

/// Creates `path` and its missing parents; `path` itself private (0700 on
/// unix). An existing directory is made private too.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)?;
    os::make_private(path)
}
