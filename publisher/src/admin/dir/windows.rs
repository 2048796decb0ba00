//! Windows: the directory keeps its inherited ACL; every secret in it is a
//! file with a DACL for the current user alone (`remote_message_cli::files`).

use std::io;
use std::path::Path;

pub fn make_private(_path: &Path) -> io::Result<()> {
    Ok(())
}
