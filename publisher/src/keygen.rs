//! `publisher keygen`: a new signing key. The seed goes to a file only its
//! owner can read; only the public key is printed.

use crate::cli::KeygenArgs;
use crate::error::Error;
use remote_message::signing;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub fn run(args: KeygenArgs) -> Result<(), Error> {
    let (seed, public) = signing::generate();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .map_err(|e| {
            Error::usage(format!(
                "cannot create {} ({e}): give a new file to --out (an existing key is never overwritten)",
                args.out.display()
            ))
            .with_source(e)
        })?;
    file.write_all(format!("{seed}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            Error::usage(format!("cannot write {} ({e})", args.out.display())).with_source(e)
        })?;
    println!("{public}");
    Ok(())
}
