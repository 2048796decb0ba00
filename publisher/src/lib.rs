//! `publisher`: the ops side. Sends a text to every session (`broadcast`) or to
//! given sessions (`session.<id>`), like 4D's `SEND MESSAGE TO REMOTE USER`.
//!
//! Layout (a module only uses modules listed before it):
//! - [`error`]: the one error type; its kind decides the exit code.
//! - [`i18n`]: the human output in English, Spanish or French (Fluent catalogue, `tr!`).
//! - [`link`]: the connection, bounded, with the server's asynchronous errors.
//! - [`reads`]: read receipts: who acknowledged a message, and whose display cannot tell.
//! - [`sessions`]: `publisher sessions`: the live session table, and the one rule `--user`
//!   picks a user's sessions by.
//! - [`tally`]: what became of a send at each session, from ledger rows (pure).
//! - [`ledger`]: the ledger stream as ops use it: ensure, record, read rows in batches.
//! - [`send`]: `publisher send` as a pipeline: [`send::plan`] (pure: targets
//!   and messages), [`send::report`] (the typed report), [`send::render`]
//!   (text or JSON), [`send::dispatch`] (publish, collect receipts),
//!   [`send::record`] (the ledger record, the answers as they come).
//! - [`setup`]: `publisher setup`: the stream that stores every message, and the ledger.
//! - [`status`]: `publisher status`: a send's fate at each session, from the ledger.
//! - [`recall`]: `publisher recall`: delete a send's stored copies, order it taken down.
//! - [`keygen`]: `publisher keygen`: a signing key for `send --sign-key`.
//! - [`admin`]: `publisher admin`: per-session identity set-up (keys, server config, creds).
//! - [`cli`]: the command line, defined once (help, the compose check and the
//!   tests all read this definition); each command's options resolved into
//!   what that command takes.

pub mod admin;
pub mod cli;
pub mod error;
pub mod i18n;
pub mod keygen;
pub mod ledger;
pub mod link;
pub mod reads;
pub mod recall;
pub mod send;
pub mod sessions;
pub mod setup;
pub mod status;
pub mod tally;

pub use error::{Error, ErrorKind};

use i18n::tr;
use remote_message_cli::{exit, lang, startup};

/// Runs the command line and returns the exit code.
///
/// Under `--json` every exit prints one JSON value on stdout (docs/scripts.md):
/// the command's result, or on failure the error object ([`error::json_error`]),
/// even for a command line clap refuses when `--json` is on it. stderr says
/// the same as without `--json`.
pub fn main() -> i32 {
    let argv = cli::join_wait_durations(std::env::args_os());
    let json_asked = cli::asks_for_json(&argv);
    // One command, parsed once for both steps. Errors in the parse itself
    // (a bad settings file) are in the language asked for.
    let start = startup::start(cli::DEFINITION, argv);
    let (early_lang, early_format) = start.early_choice();
    lang::choose_errors(early_lang, early_format);
    let cli: cli::Cli = match start.parse() {
        Ok(cli) => cli,
        Err(exit) if json_asked => return exit.report_as_json(),
        Err(exit) => return exit.report(),
    };
    remote_message_cli::logging::init(cli.common.log.log_format);
    let chosen = cli.common.lang.resolve();
    i18n::set(chosen);
    lang::choose_errors(chosen, cli.common.log.log_format);
    let json = cli.command.json();
    match execute(cli, json) {
        Ok(()) => exit::OK,
        Err(error) => {
            if json && !error.kind().follows_the_result() {
                print!("{}", error::json_error(&error).line());
            }
            eprintln!("publisher: {error}");
            error.kind().exit_code()
        }
    }
}

/// Runs one parsed command on a runtime of its own, its output JSON when
/// `json`.
fn execute(cli: cli::Cli, json: bool) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::with_context(
                ErrorKind::Failure,
                tr!(i18n::errors(), "runtime-failed", cause = e.to_string()),
            )
            .caused_by(e)
        })?;
    let connection = &cli.common.connection;
    runtime.block_on(async {
        match cli.command {
            cli::Command::Send(args) => send::run(connection, args.request()?, json).await,
            cli::Command::Sessions(args) => sessions::run(connection, &args.users, json).await,
            cli::Command::Setup(args) => {
                setup::run(connection, args.settings(), args.ledger_settings()).await
            }
            cli::Command::Status(args) => {
                let follow = args.follow_within(connection.timeout);
                status::run(connection, args.send, follow, json).await
            }
            cli::Command::Recall(args) => recall::run(connection, args.request()?, json).await,
            cli::Command::Keygen(args) => keygen::run(&args.out),
            cli::Command::Admin(args) => admin::run(connection, args.command.request()).await,
        }
    })
}
