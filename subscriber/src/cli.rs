//! The `subscriber` command line, defined once.

use clap::{Parser, ValueEnum};
use remote_message::connection::ConnectionArgs;
use remote_message::{exit, sessions, SessionId};

/// The agent on a user machine: shows the messages sent to its session and to
/// everyone (the receiving side of 4D Server's SEND MESSAGE TO REMOTE USER).
///
/// Logs go to stderr; stdout carries only the messages.
#[derive(Debug, Parser)]
#[command(name = "subscriber", version, after_help = exit::HELP)]
pub struct Cli {
    /// Session id to listen as, 1 to 64 characters of A-Z a-z 0-9 _ -
    /// [default: the one remembered in --state-dir, else a new random id]
    #[arg(long, value_name = "ID")]
    pub session_id: Option<SessionId>,

    /// User name shown in the session list [default: the OS login name]
    #[arg(long, value_name = "NAME")]
    pub user_name: Option<String>,

    /// Label shown in the session list, e.g. --label dept=sales; repeatable
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = sessions::parse_label)]
    pub labels: Vec<(String, String)>,

    /// Directory keeping the session id and what was shown, so a restarted
    /// agent shows what it missed [default: ~/.local/state/remote-message]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<std::path::PathBuf>,

    /// How far back a restarted or reconnected agent catches up (e.g. 2h)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "24h")]
    pub catch_up_window: std::time::Duration,

    /// How to show each message
    #[arg(long, value_enum, default_value_t = Output::Terminal)]
    pub output: Output,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A readable alert block per message
    Terminal,
    /// One JSON object per line, for scripts
    Json,
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
    fn labels_parse_and_bad_ones_are_usage_errors() {
        let cli =
            Cli::try_parse_from(["subscriber", "--label", "dept=sales", "--label", "floor=2"])
                .unwrap();
        assert_eq!(
            cli.labels,
            [
                ("dept".into(), "sales".into()),
                ("floor".into(), "2".into())
            ]
        );
        let err = Cli::try_parse_from(["subscriber", "--label", "nodelim"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn bad_session_ids_are_usage_errors() {
        for bad in ["", "a.b", "*", ">", "a b", "é", &"a".repeat(65)] {
            let err = Cli::try_parse_from(["subscriber", "--session-id", bad]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
