//! `subscriber`: the agent on a user machine. It listens on `broadcast` and on
//! its own `session.<id>` and shows every message it gets.
//!
//! Layout, in dependency order: a module only uses modules listed before it.
//! Inside a module folder no file uses one that uses it either: the OS files
//! share a sibling (`notify/backend.rs`, `autostart/plan.rs`,
//! `signals/stop.rs`), never the `mod.rs` that picks them.
//! - [`clock`]: the one monotonic clock (tokio's) and its timer helper.
//! - [`error`]: the typed [`Error`] that stops the agent; kind → exit code in one place.
//! - [`i18n`]: the agent's own words in English, Spanish or French (Fluent catalogue, `tr!`).
//! - [`signals`]: the OS signals that stop the agent, one file per OS (installed by [`main`]).
//! - [`state`]: the state directory: session id, what was shown, locking.
//! - [`lifecycle`]: what a shown message becomes: its ledger rows, and the record of
//!   messages waiting for the user (answers, reminders) and of sends recalled.
//! - [`config`]: what the agent runs with ([`AgentConfig`]): resolved values, no clap.
//! - [`delivery`]: a message to show, how it was shown, and the [`delivery::Show`]
//!   seam between the agent's core and its display.
//! - [`admission`]: which received messages are shown (pure rules, tested alone).
//! - [`catchup`]: showing what was missed: one pure state machine, the replay (a
//!   fetch of stored messages from the stream), and the driver that runs them.
//! - [`answers`]: presence and session-list answers, in a task of their own (also run
//!   by the benchmarks).
//! - [`agent`]: the reusable core: subscriptions, position, showing and receipts
//!   (also run by the benchmarks).
//! - [`render`]: how a message looks: a terminal alert block or one JSON line.
//! - [`exec`]: the --exec hook: a program run once per message, the message on its stdin.
//! - [`notify`]: native notifications (freedesktop on Linux, toasts on Windows,
//!   UserNotifications on macOS; one file per OS), with an OK that sends a read receipt.
//! - [`identity`]: who the agent is (session id, user, keys, state), decided once,
//!   and the check that no other live agent is it.
//! - [`link`]: the link to NATS: connecting, its changes logged once, subscriptions
//!   confirmed, drops.
//! - [`screen`]: where a shown message goes: the chosen output, then the --exec hook.
//! - [`runner`]: the process, runnable in-process: `run(config, shutdown)`; it
//!   orchestrates the modules above: start, the main loop, owned tasks, drain.
//! - [`command`]: `subscriber answer` / `subscriber read`: the user answers or reads a
//!   shown message from a shell, as the agent's own session.
//! - [`cli`]: the command line, defined once, and its conversion to an [`AgentConfig`].
//! - [`autostart`]: `subscriber install` / `uninstall`: the agent started at logon by
//!   the OS's session manager, one file per OS; `subscriber bundle`: the macOS app.

pub mod admission;
pub mod agent;
pub mod answers;
pub mod autostart;
pub mod catchup;
pub mod cli;
pub mod clock;
pub mod command;
pub mod config;
pub mod delivery;
pub mod error;
pub mod exec;
pub mod i18n;
pub mod identity;
pub mod lifecycle;
pub mod link;
pub mod notify;
pub mod render;
pub mod runner;
pub mod screen;
pub mod signals;
pub mod state;

pub use config::AgentConfig;
pub use error::{Error, Kind};
pub use runner::run;

use clock::sleep_until;
use remote_message_cli::{exit, startup};
use signals::{Signals, StopReason};
use std::pin::pin;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{error, info, warn};

/// How long after a stop signal `main` gives up on a clean stop (a write to
/// a stdout nobody reads cannot be interrupted) and exits anyway.
const STOP_LIMIT: Duration = runner::DRAIN_LIMIT.saturating_add(Duration::from_secs(1));

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli: cli::Cli = match startup::parse(cli::DEFINITION, argv.clone()) {
        Ok(cli) => cli,
        Err(exit) => return exit.report(),
    };
    match cli.command {
        Some(cli::Command::Install(install)) => {
            return autostart::install(argv, install.print.print)
        }
        Some(cli::Command::Uninstall(uninstall)) => {
            return autostart::uninstall(uninstall.print.print)
        }
        Some(cli::Command::Bundle(bundle)) => return autostart::bundle(&bundle),
        Some(cli::Command::Answer(answer)) => {
            let act = command::Act::Answer(answer.answer);
            return run_command(cli.agent, answer.message_id, act);
        }
        Some(cli::Command::Read(read)) => {
            return run_command(cli.agent, read.message_id, command::Act::Read);
        }
        None => {}
    }
    let mut cli = cli.agent;
    // Before logging starts: it may move stderr to a file.
    let background = cli.background.then(|| autostart::background(cli.output));
    remote_message_cli::logging::init(cli.common.log.log_format);
    match background {
        Some(Ok(Some(log))) => info!(
            event = remote_message::Event::Background.name(),
            "started at logon: console released, log appended to {}",
            log.display()
        ),
        Some(Err(e)) => warn!(
            event = remote_message::Event::BackgroundFailed.name(),
            "started at logon, but the log file cannot be opened ({e}): keeping the console"
        ),
        Some(Ok(None)) | None => {}
    }
    // `--creds -`: read once, before anything else could take stdin.
    if let Err(e) = cli.common.connection.read_stdin_creds() {
        return report(Error::with_context(Kind::Settings, e.to_string()).caused_by(e));
    }
    // One thread: an idle agent on a laptop should cost next to nothing.
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let code = runtime.block_on(run_until_signalled(cli.into_config()));
            // A write to a stdout nobody reads may still be pending on a
            // blocking thread: exit without waiting for it.
            runtime.shutdown_background();
            code
        }
        Err(e) => {
            eprintln!("subscriber: cannot start the async runtime: {e}");
            exit::FAILURE
        }
    }
}

/// Runs `subscriber answer` or `read` with the agent's options `agent`.
fn run_command(mut agent: cli::AgentArgs, id: String, act: command::Act) -> i32 {
    remote_message_cli::logging::init(agent.common.log.log_format);
    if let Err(e) = agent.common.connection.read_stdin_creds() {
        return report(Error::with_context(Kind::Settings, e.to_string()).caused_by(e));
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(command::run(
            agent.into_config(),
            remote_message::MessageId::new(id),
            act,
        )),
        Err(e) => {
            eprintln!("subscriber: cannot start the async runtime: {e}");
            exit::FAILURE
        }
    }
}

/// Runs the agent until a stop signal; returns the exit code. The signal
/// is watched here, beside [`run`] rather than inside it: a display blocked
/// on its stdout may keep `run` from returning, and then the process exits
/// [`STOP_LIMIT`] after the signal anyway.
async fn run_until_signalled(config: AgentConfig) -> i32 {
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            let e =
                Error::with_context(Kind::Signals, "cannot install the SIGTERM/SIGINT handlers")
                    .caused_by(e);
            return report(e);
        }
    };
    let (stop_tx, stop_rx) = oneshot::channel();
    let mut stop_tx = Some(stop_tx);
    let shutdown = async move { stop_rx.await.unwrap_or(StopReason::Requested) };
    let mut run = pin!(run(config, shutdown));
    let mut overdue: Option<(StopReason, Instant)> = None;
    loop {
        tokio::select! {
            result = &mut run => return result.map_or_else(report, |()| exit::OK),
            why = signals.recv(), if stop_tx.is_some() => {
                if let Some(stop_tx) = stop_tx.take() {
                    let _ = stop_tx.send(why);
                }
                overdue = Some((why, Instant::now() + STOP_LIMIT));
            }
            () = sleep_until(overdue.map(|(_, at)| at)) => {
                let why = overdue.map_or(StopReason::Requested, |(why, _)| why);
                warn!(
                    event = remote_message::Event::StopOverdue.name(),
                    "{why}: not stopped within {STOP_LIMIT:?} (is the output blocked?); exiting now"
                );
                return exit::OK;
            }
        }
    }
}

/// Logs why the agent stopped and returns its exit code.
fn report(e: Error) -> i32 {
    error!(event = e.kind().event().name(), "{e}");
    e.kind().exit_code()
}
