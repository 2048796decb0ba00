//! `publisher keygen`: a new signing key. The seed goes to a file only its
//! owner can read; only the public key is printed.

use crate::cli::KeygenArgs;
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use remote_message::signing;
use remote_message_cli::files;

pub fn run(args: KeygenArgs) -> Result<(), Error> {
    let (seed, public) = signing::generate();
    files::create_private(
        &args.out,
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
                path = args.out.display().to_string(),
                cause = e.to_string()
            ))
            .caused_by(e)
    })?;
    println!("{public}");
    Ok(())
}
