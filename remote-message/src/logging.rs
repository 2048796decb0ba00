//! Logging to stderr for both binaries: stdout carries only output meant for
//! pipes (the agent's messages, the publisher's report).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

/// Installs the stderr logger. `RUST_LOG` (e.g. `debug`, `async_nats=debug`)
/// overrides the default of `info` for our own crates and `warn` for the rest.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(tracing::Level::WARN)
                .with_target("remote_message", tracing::Level::INFO)
                .with_target("publisher", tracing::Level::INFO)
                .with_target("subscriber", tracing::Level::INFO)
        });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .with_target(false),
        )
        .with(filter)
        .init();
}
