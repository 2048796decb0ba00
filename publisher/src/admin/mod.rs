//! `publisher admin`: the set-up of the per-session identity mode, with the
//! project's own tool: the operator, the ops account and its scoped signing
//! key, the server's configuration, and creds files for agents (one per
//! session id, each in an account of its own) and for ops. The broker then
//! enforces the account wall and roles of [`remote_message::roles`]; only
//! pushing a session's account talks to a server.
//!
//! A module only uses modules listed before it:
//! - [`layout`]: the files in the admin directory, named once.
//! - [`claims`]: the JWTs (operator, accounts, users).
//! - [`push`]: session accounts to the server's resolver; `admin push`.
//! - [`mint`]: `admin agent-creds`, `admin ops-creds`.
//! - [`init`]: `admin init`.
//!
//! The admin directory is private (`remote_message_cli::files::create_private_dir`).

pub mod claims;
pub mod init;
pub mod layout;
pub mod mint;
pub mod push;

use crate::error::Error;
use remote_message_cli::connection::ConnectionArgs;
use std::path::PathBuf;

/// One `publisher admin` command, as the command line resolved it.
#[derive(Debug)]
pub enum Request {
    /// `admin init --out DIR [--if-missing] [--resolver-dir DIR]`.
    Init {
        dir: PathBuf,
        if_missing: bool,
        resolver_dir: String,
    },
    AgentCreds(mint::AgentCreds),
    /// `admin ops-creds`: from the set-up in `dir` (`--dir`).
    OpsCreds {
        dir: Option<PathBuf>,
        out: mint::Destination,
    },
    /// `admin push`: every session account kept in `dir` (`--dir`).
    Push {
        dir: Option<PathBuf>,
    },
}

/// Runs one `publisher admin` command.
pub async fn run(connection: &ConnectionArgs, request: Request) -> Result<(), Error> {
    match request {
        Request::Init {
            dir,
            if_missing,
            resolver_dir,
        } => init::run(&dir, if_missing, &resolver_dir),
        Request::AgentCreds(asked) => mint::agent(connection, asked).await,
        Request::OpsCreds { dir, out } => mint::ops(dir.as_deref(), &out),
        Request::Push { dir } => push::run(connection, dir.as_deref()).await,
    }
}
