//! The non-unix steps of a private write: the file is private by the
//! user profile's ACLs, and a directory cannot be opened to sync it.

use std::fs::File;
use std::io;
use std::path::Path;

/// Nothing to do: there is no mode to set.
pub fn make_private(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Nothing to do: the rename is as durable as the OS makes it.
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
