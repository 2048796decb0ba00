//! The `publisher` command line, defined once.

use clap::{Args, Parser, Subcommand};
use remote_message::connection::ConnectionArgs;
use remote_message::{exit, SessionId};

/// Send a message to the screens of remote user sessions over NATS
/// (4D Server's SEND MESSAGE TO REMOTE USER).
#[derive(Debug, Parser)]
#[command(name = "publisher", version, after_help = exit::HELP)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a message to every session, or to the sessions given with --session
    ///
    /// Examples:
    ///   publisher send "The server restarts at 10pm. Please log out before."
    ///   publisher send --session 7f3a --title Hello "Hello Vanessa"
    ///   echo "from a script" | publisher send -
    #[command(verbatim_doc_comment, after_help = exit::HELP)]
    Send(SendArgs),
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The text to show; - reads it from stdin
    #[arg(value_name = "MESSAGE")]
    pub message: String,

    /// Send to this session id instead of everyone; repeat for several
    /// (each session gets its own message)
    #[arg(long = "session", value_name = "ID")]
    pub sessions: Vec<SessionId>,

    /// Title shown above the text
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    /// Who the message is from [default: user@host]
    #[arg(long, value_name = "NAME")]
    pub sender: Option<String>,

    /// Print what was sent as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_session_ids_are_usage_errors() {
        for bad in ["", "a.b", "*", ">", "a b", "é", &"a".repeat(65)] {
            let err =
                Cli::try_parse_from(["publisher", "send", "--session", bad, "hi"]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn connection_flags_work_before_and_after_the_subcommand() {
        let a = Cli::try_parse_from(["publisher", "-s", "nats://h:1", "send", "x"]).unwrap();
        let b = Cli::try_parse_from(["publisher", "send", "x", "--server", "nats://h:1"]).unwrap();
        assert_eq!(a.connection.server, "nats://h:1");
        assert_eq!(b.connection.server, "nats://h:1");
    }
}
