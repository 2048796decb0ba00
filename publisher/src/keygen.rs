//! `publisher keygen`: a new signing key. The seed goes to a file only its
//! owner can read; only the public key is printed.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use remote_message::signing;
use remote_message_cli::files;
use std::path::Path;

/// Writes a new seed to `out` (never over an existing file); prints its
/// public key.
pub fn run(out: &Path) -> Result<(), Error> {
    let (seed, public) = signing::generate();
    files::create_private(
        out,
        format!(
            "{seed}
"
        )
        .as_bytes(),
    )
    .map_err(|e| {
        ErrorKind::Usage
            .error(tr!(
                errors(),
                "keygen-cannot-create",
                path = out.display().to_string(),
                cause = e.to_string()
            ))
            .caused_by(e)
    })?;
    println!("{public}");
    Ok(())
}
