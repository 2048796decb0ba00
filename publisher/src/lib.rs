//! `publisher`: the ops side. Sends a text to every session (`broadcast`) or to
//! given sessions (`session.<id>`), like 4D's `SEND MESSAGE TO REMOTE USER`.
//!
//! Layout:
//! - [`cli`]: the command line, defined once (help, the compose check and the
//!   tests all read this definition).
//! - [`link`]: the connection, bounded, with the server's asynchronous errors.
//! - [`send`]: `publisher send`: validate everything, resolve the targets,
//!   publish, flush, collect receipts, report.
//! - [`reads`]: read receipts: who acknowledged a message, and whose display cannot tell.
//! - [`sessions`]: `publisher sessions`: the live session table.
//! - [`setup`]: `publisher setup`: the stream that stores every message.
//! - [`keygen`]: `publisher keygen`: a signing key for `send --sign-key`.

pub mod cli;
pub mod keygen;
pub mod link;
pub mod reads;
pub mod send;
pub mod sessions;
pub mod setup;

use clap::CommandFactory;
use remote_message_cli::{exit, startup};

/// An error that ends the process with a documented exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }
    pub fn with_code(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
    pub fn server(message: impl Into<String>) -> Failure {
        Failure {
            code: exit::SERVER,
            message: message.into(),
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let argv = cli::join_wait_durations(std::env::args_os());
    let cli: cli::Cli = match startup::parse(cli::Cli::command(), argv) {
        Ok(cli) => cli,
        Err(exit) => return exit.report(),
    };
    remote_message_cli::logging::init(cli.log.log_format);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("publisher: cannot start the async runtime: {e}");
            return exit::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Send(args) => send::run(&cli.connection, args).await,
            cli::Command::Sessions(args) => sessions::run(&cli.connection, args).await,
            cli::Command::Setup(args) => setup::run(&cli.connection, args).await,
            cli::Command::Keygen(args) => keygen::run(args),
        }
    });
    match result {
        Ok(()) => exit::OK,
        Err(failure) => {
            eprintln!("publisher: {}", failure.message);
            failure.code
        }
    }
}
