//! `publisher admin`: the set-up of the per-session identity mode, with the
//! project's own tool: the operator, account and scoped signing keys, the
//! server's configuration, and creds files for agents (one per session id)
//! and for ops. The broker then enforces the roles of
//! [`remote_message::roles`]; nothing here talks to a server.
//!
//! - [`layout`]: the files in the admin directory, named once.
//! - [`claims`]: the JWTs (operator, accounts with scoped keys, users).
//! - [`init`]: `admin init`.
//! - [`mint`]: `admin agent-creds`, `admin ops-creds`.
//!
//! The admin directory is private (`remote_message_cli::files::create_private_dir`).

pub mod claims;
pub mod init;
pub mod layout;
pub mod mint;

use crate::cli::{AdminArgs, AdminCommand};
use crate::error::Error;

pub fn run(args: AdminArgs) -> Result<(), Error> {
    match args.command {
        AdminCommand::Init(args) => init::run(args),
        AdminCommand::AgentCreds(args) => mint::agent(args),
        AdminCommand::OpsCreds(args) => mint::ops(args),
    }
}
