//! What both binaries share that is not the wire contract: the command-line
//! plumbing around `remote-message`. The contract crate stays free of clap,
//! settings files, logging set-up and process exits; this crate holds them,
//! and still never ends the process itself: `main` does, with the code it
//! is handed.
//!
//! Layout (a module only uses modules listed before it):
//! - [`exit`]: the documented exit codes, one table for the enum, the constants and each
//!   command's `--help`.
//! - [`identity`]: the login name and host name of this process.
//! - [`creds`]: NATS creds files: writing one, reading who it says its holder is (session, user),
//!   what for (agent or ops) and when valid.
//! - [`files`]: private files (mode 0600, on Windows a DACL for the user alone) written atomically.
//! - [`values`]: clap parsers for contract values (`--priority`, ntfy's priorities too).
//! - [`logging`]: stderr logging, `--log-format text|json`, records named by an `event` field.
//! - [`lang`]: `--lang` and the OS language, the language of errors, loading a crate's Fluent
//!   catalogue, the catalogue check.
//! - [`i18n`]: this crate's error messages in English, Spanish or French (its catalogue, `tr!`).
//! - [`creds_check`]: why NATS refuses a creds file (expired, not yet valid, unknown account,
//!   wrong role), named from the file.
//! - [`tls_files`]: the `--tls-*` files checked before connecting, each cause with its advice.
//! - [`connection`]: the NATS connection options both binaries take, connecting, and error
//!   text without secrets.
//! - [`help`]: each command's help true of that command: connection options only where it
//!   connects, usage lines the environment does not change.
//! - [`generate`]: shell completions and man pages, generated from the clap definitions.
//! - [`config`]: settings files for both binaries, layered under the command line and environment.
//! - [`context`]: `nats` CLI contexts (`--context`, `NATS_CONTEXT`, the selected one), layered
//!   under the settings file.
//! - [`system_settings`]: the system-wide settings IT sets per machine (a file under `/etc` or
//!   `/Library`, the registry on Windows), layered under the context.
//! - [`startup`]: raw arguments to a parsed command line (generate, settings, parse), or the
//!   [`startup::Exit`] to report.
//! - [`translated_errors`] (tests only): every error of this crate built in each language.
//! - [`CommonArgs`] (here): the options every binary takes, flattened into each command line.

pub mod config;
pub mod connection;
pub mod context;
pub mod creds;
pub mod creds_check;
pub mod exit;
pub mod files;
pub mod generate;
pub mod help;
pub mod i18n;
pub mod identity;
pub mod lang;
pub mod logging;
pub mod startup;
pub mod system_settings;
pub mod tls_files;
pub mod values;

#[cfg(test)]
mod translated_errors;

/// The options both binaries take, defined once: the connection, the
/// settings file, `--generate`, `--log-format` and `--lang`.
#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    #[command(flatten)]
    pub connection: connection::ConnectionArgs,

    #[command(flatten)]
    pub config: config::ConfigArgs,

    #[command(flatten)]
    pub generate: generate::GenerateArgs,

    #[command(flatten)]
    pub log: logging::LogArgs,

    #[command(flatten)]
    pub lang: lang::LangArgs,
}
