//! `subscriber`: the agent on a user machine. It listens on `broadcast` and on
//! its own `session.<id>` and shows every message it gets.
//!
//! Layout:
//! - [`cli`]: the command line, defined once.
//! - [`agent`]: the reusable core: subscriptions, session list entry,
//!   decoding, receipts (also run by the benchmarks).
//! - [`catchup`]: reading back from the stream what the agent missed.
//! - [`state`]: the state directory: session id, what was shown, locking.
//! - [`runner`]: the process: connection life cycle (start before the
//!   network, reconnect forever, drain on SIGINT/SIGTERM) and the output loop.
//! - [`render`]: how a message looks: a terminal alert block or one JSON line.
//! - [`screen`]: where a shown message goes: the chosen output, then the --exec hook.
//! - [`desktop`]: native desktop notifications (freedesktop, over D-Bus), with an OK
//!   that sends a read receipt.
//! - [`exec`]: the --exec hook: a program run once per message, the message on its stdin.

pub mod agent;
pub mod catchup;
pub mod cli;
pub mod desktop;
pub mod exec;
pub mod render;
pub mod runner;
pub mod screen;
pub mod state;

use clap::CommandFactory;
use remote_message_cli::{exit, startup};

/// Runs the command line and returns the exit code.
pub fn main() -> i32 {
    let cli: cli::Cli = match startup::parse(cli::Cli::command(), std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(exit) => return exit.report(),
    };
    remote_message_cli::logging::init(remote_message_cli::logging::LogFormat::Text);
    // One thread: an idle agent on a laptop should cost next to nothing.
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => {
            let code = runtime.block_on(runner::run(cli));
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
