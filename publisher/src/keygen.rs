//! `publisher keygen`: a new signing key. The seed goes to a file only its
//! owner can read; only the public key is printed.

use crate::cli::KeygenArgs;
use crate::Failure;
use remote_message::signing;
use remote_message_cli::files;

pub fn run(args: KeygenArgs) -> Result<(), Failure> {
    let (seed, public) = signing::generate();
    files::create_private(&args.out, format!("{seed}\n").as_bytes()).map_err(|e| {
        Failure::usage(format!(
            "cannot create {} ({e}): give a new file to --out (an existing key is never overwritten)",
            args.out.display()
        ))
    })?;
    println!("{public}");
    Ok(())
}
