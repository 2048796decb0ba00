//! Operations: what ops set up and script around the two binaries.
//!
//! - [`config`]: settings files, and what beats what.
//! - [`contexts`]: `nats` CLI contexts, alone or under the command line.
//! - [`nats_env`]: the `nats` CLI's TLS flags and environment variables.
//! - [`scripts`]: `publisher … --json`, exactly one JSON value on stdout.
//! - [`generate`]: completions, the man page and each command's help.
//! - [`compose`]: the compose demo's command lines parse.
//! - [`lifecycle`]: answers, `status` and `recall` over the ledger.

mod compose;
mod config;
mod contexts;
mod generate;
mod lifecycle;
mod nats_env;
mod scripts;
