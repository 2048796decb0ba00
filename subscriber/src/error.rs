//! The agent's errors: what stopped it, typed, with the exit code each kind
//! means decided in one place ([`Kind::exit_code`]), and the event name
//! that reports it ([`Kind::event`]).

use remote_message::Event;
use remote_message_cli::exit;

/// What kind of failure stopped the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Another agent already runs as this session.
    StateLocked,
    /// Another live agent answers for this session id.
    SessionTaken,
    /// The state directory cannot be used.
    State,
    /// `--exec` names no program that can run.
    Exec,
    /// The connection settings are wrong (a file, a URL).
    Settings,
    /// The connection to NATS could not even be set up.
    Server,
    /// The subscriptions could not be made.
    Subscribe,
    /// The OS signal handlers could not be installed.
    Signals,
    /// stdout is closed or failing.
    Output,
    /// `--output desktop`, where native notifications cannot work at all.
    Desktop,
}

impl Kind {
    /// The process exit code for this kind: the one mapping.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::StateLocked
            | Kind::SessionTaken
            | Kind::State
            | Kind::Exec
            | Kind::Settings
            | Kind::Desktop => exit::USAGE,
            Kind::Server => exit::SERVER,
            Kind::Subscribe | Kind::Signals | Kind::Output => exit::FAILURE,
        }
    }

    /// The stable `event` of the log record that reports it.
    pub fn event(self) -> Event {
        match self {
            Kind::StateLocked => Event::StateLocked,
            Kind::SessionTaken => Event::SessionTaken,
            Kind::State => Event::StateUnusable,
            Kind::Exec => Event::ExecMissing,
            Kind::Settings => Event::SettingsInvalid,
            Kind::Server => Event::ConnectFailed,
            Kind::Subscribe => Event::SubscribeFailed,
            Kind::Signals => Event::SignalsFailed,
            Kind::Output => Event::OutputFailed,
            Kind::Desktop => Event::DesktopUnavailable,
        }
    }
}

/// Why the agent stopped: a kind, the message for the log, and the cause
/// (the contract's `Error<Kind>`, as in async-nats).
pub type Error = remote_message::error::Error<Kind>;

impl remote_message::error::ErrorKind for Kind {
    /// Every agent error carries its own message; these only show if one
    /// is built without.
    fn describe(self) -> &'static str {
        match self {
            Kind::StateLocked => "another agent already runs as this session",
            Kind::SessionTaken => "another live agent answers for this session id",
            Kind::State => "the state directory cannot be used",
            Kind::Exec => "--exec names no program that can run",
            Kind::Settings => "the connection settings are wrong",
            Kind::Server => "cannot connect to NATS",
            Kind::Subscribe => "cannot subscribe",
            Kind::Signals => "cannot install the stop signal handlers",
            Kind::Output => "cannot write to stdout",
            Kind::Desktop => "native notifications are unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind maps to the exit code `--help` documents: usage problems 2,
    /// the server 3, anything else 1.
    #[test]
    fn kinds_map_to_the_documented_exit_codes() {
        assert_eq!(Kind::StateLocked.exit_code(), 2);
        assert_eq!(Kind::SessionTaken.exit_code(), 2);
        assert_eq!(Kind::Exec.exit_code(), 2);
        assert_eq!(Kind::Settings.exit_code(), 2);
        assert_eq!(Kind::Desktop.exit_code(), 2);
        assert_eq!(Kind::Server.exit_code(), 3);
        assert_eq!(Kind::Subscribe.exit_code(), 1);
        assert_eq!(Kind::Output.exit_code(), 1);
    }

    /// The message is what the log shows; the cause stays reachable.
    #[test]
    fn an_error_shows_its_message_and_keeps_its_source() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let e = Error::with_context(Kind::Output, "cannot write to stdout (pipe): stopping")
            .caused_by(io);
        assert_eq!(e.to_string(), "cannot write to stdout (pipe): stopping");
        assert_eq!(e.kind(), Kind::Output);
        assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "pipe");
    }
}
