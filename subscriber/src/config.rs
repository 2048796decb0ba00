//! What the agent runs with: the command line resolved into plain values
//! ([`AgentConfig`]), so that the agent's own modules know nothing of
//! clap (the `cli` module makes one from the command line), and the tests
//! can start an agent without a command line.

use remote_message::SessionId;
use remote_message_cli::connection::Connection;
use remote_message_cli::lang::Lang;
use std::path::PathBuf;
use std::time::Duration;

/// What the agent runs with: the command line, resolved, free of clap.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The session id asked for (`--session-id`); the one the agent runs
    /// as is decided once, by the `identity` module.
    pub session_id: Option<SessionId>,
    pub user_name: Option<remote_message::UserName>,
    pub labels: Vec<(String, String)>,
    /// Where the state lives; `None`: nowhere (a restart does not catch up).
    pub state_dir: Option<PathBuf>,
    pub catch_up_window: Duration,
    pub trust: Vec<remote_message::UserKey>,
    pub output: Output,
    /// The language of what the user reads (not of the logs).
    pub lang: Lang,
    pub exec: Option<PathBuf>,
    pub exec_timeout: Duration,
    pub connection: Connection,
}

/// How each message is shown (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Desktop notifications when the native service answers at start, else terminal.
    Auto,
    /// A native notification per message.
    Desktop,
    /// A readable alert block per message.
    Terminal,
    /// One JSON object per line, for scripts.
    Json,
}
