//! `publisher admin`: the set-up of the per-session identity mode, with the
//! project's own tool: the operator, the ops account and its scoped signing
//! key, the server's configuration, and creds files for agents (one per
//! session id, each in an account of its own) and for ops. The broker then
//! enforces the account wall and roles of [`remote_message::roles`]; only
//! pushing a session's account talks to a server.
//!
//! - [`layout`]: the files in the admin directory, named once.
//! - [`claims`]: the JWTs (operator, accounts, users).
//! - [`init`]: `admin init`.
//! - [`mint`]: `admin agent-creds`, `admin ops-creds`.
//! - [`push`]: session accounts to the server's resolver; `admin push`.
//!
//! The admin directory is private (`remote_message_cli::files::create_private_dir`).

pub mod claims;
pub mod init;
pub mod layout;
pub mod mint;
pub mod push;

use crate::cli::{AdminArgs, AdminCommand};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use remote_message_cli::connection::ConnectionArgs;
use std::path::Path;

pub async fn run(connection: &ConnectionArgs, args: AdminArgs) -> Result<(), Error> {
    match args.command {
        AdminCommand::Init(args) => init::run(args),
        AdminCommand::AgentCreds(args) => mint::agent(connection, args).await,
        AdminCommand::OpsCreds(args) => mint::ops(args),
        AdminCommand::Push(args) => push::run(connection, args).await,
    }
}

/// A file of the set-up that could not be written: a `kind` error naming it.
fn cannot_write(kind: ErrorKind, path: &Path, e: std::io::Error) -> Error {
    kind.error(tr!(
        errors(),
        "cannot-write",
        path = path.display().to_string(),
        cause = e.to_string()
    ))
    .caused_by(e)
}
