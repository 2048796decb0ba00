//! The `subscriber` command line, defined once: the agent's options
//! ([`AgentArgs`]), taken by the agent itself and by `subscriber install`,
//! which starts the agent at logon with them; and its conversion to the
//! [`AgentConfig`] the agent runs with (below it, nothing knows clap).

use crate::config::{AgentConfig, Output};
use crate::state;
use clap::builder::PossibleValue;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum, ValueHint};
use remote_message::{sessions, signing, SessionId};
use remote_message_cli::config::OneRun;
use remote_message_cli::exit::ExitCode::{Failure, Server, Usage};
use remote_message_cli::startup::Definition;
use remote_message_cli::CommonArgs;
use remote_message_cli::{config, exit};

/// The options a settings file may not hold: `print` makes one `install`
/// or `uninstall` a dry run, not every one. The agent's options are its
/// defaults, the settings file's very purpose.
pub const ONE_RUN: OneRun = &["print"];

/// The agent on a user machine: shows the messages sent to its session and to
/// everyone (the receiving side of 4D Server's SEND MESSAGE TO REMOTE USER).
///
/// Logs go to stderr; stdout carries only the messages.
#[derive(Debug, Parser)]
#[command(
    name = "subscriber",
    version,
    after_help = exit::help("stopped by SIGINT or SIGTERM", &[Failure, Usage, Server])
)]
pub struct Cli {
    #[command(flatten)]
    pub agent: AgentArgs,

    /// Without a subcommand, the agent runs.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The command line as `main` starts it: [`Cli`], whose help, man page and
/// completions hide the connection options in `uninstall`, which never
/// connects, and whose settings files may not hold [`ONE_RUN`].
pub const DEFINITION: Definition = Definition {
    command: Cli::command,
    offline: &[&["uninstall"], &["bundle"]],
    one_run: ONE_RUN,
};

/// The command as help, usage lines after an error, the man page and
/// completions show it ([`Definition::finished`]).
pub fn command() -> clap::Command {
    DEFINITION.finished()
}

/// What else `subscriber` does besides running the agent.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the agent at each logon with these options, and now: a systemd
    /// user unit (Linux), a LaunchAgent (macOS), a Run entry (Windows). No
    /// secret may be among them: put passwords and tokens in the settings
    /// file, the environment or a creds file
    #[command(after_help = exit::help("installed", &[Failure, Usage]))]
    Install(Box<InstallArgs>),
    /// Stop starting the agent at logon: remove what `install` wrote (and
    /// stop the agent it started, on Linux and macOS)
    #[command(after_help = exit::help("uninstalled", &[Failure, Usage]))]
    Uninstall(UninstallArgs),
    /// Make the macOS app `Remote Message.app` from this program, as
    /// `install` does in ~/Applications on macOS, for packaging: its
    /// Info.plist (bundle id com.remote-message.subscriber, no Dock icon),
    /// PkgInfo and the program, signed ad hoc when `codesign` is on PATH.
    /// Runs on any OS; the app's path is the last line printed
    #[command(after_help = exit::help("made", &[Failure, Usage]))]
    Bundle(BundleArgs),
    /// Answer a message the agent showed, with one of its labels or its
    /// number, as the agent's session (the agent's options go before
    /// `answer`, or come from its settings file and environment); the agent
    /// stops reminding it. Exit 8: no such message waits here; 9: it was
    /// answered already
    #[command(after_help = exit::help("answered", &[Failure, Usage, Server]))]
    Answer(Box<AnswerArgs>),
    /// Mark a message the agent showed as read, as the agent's session
    /// (its options as for `answer`); the agent stops reminding it. Exit 8:
    /// no such message waits here; 9: it was answered or read already
    #[command(after_help = exit::help("marked read", &[Failure, Usage, Server]))]
    Read(Box<ReadArgs>),
}

/// `subscriber [AGENT OPTIONS…] answer <MESSAGE_ID> <ANSWER>`: the
/// agent's options are the top-level ones, which the settings file and the
/// environment fill as for the agent.
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The message's id (its terminal block's footer, its JSON `id`)
    #[arg(value_name = "MESSAGE_ID")]
    pub message_id: String,

    /// One of its answers: the label (any case) or its number, from 1
    #[arg(value_name = "ANSWER")]
    pub answer: String,
}

/// `subscriber [AGENT OPTIONS…] read <MESSAGE_ID>`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The message's id (its terminal block's footer, its JSON `id`)
    #[arg(value_name = "MESSAGE_ID")]
    pub message_id: String,
}

/// `subscriber install [AGENT OPTIONS…] [--print]`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub agent: AgentArgs,

    #[command(flatten)]
    pub print: PrintArg,
}

/// `subscriber uninstall [--print]`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub print: PrintArg,
}

/// `subscriber bundle (--out DIR | --pkg-root ROOT) [--print]`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// Make DIR/Remote Message.app (replacing the program and files of one
    /// there), e.g. to zip it
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath,
          required_unless_present = "pkg_root")]
    pub out: Option<std::path::PathBuf>,

    /// Make the payload of a macOS installer package (`pkgbuild --root
    /// ROOT`): ROOT/Applications/Remote Message.app and
    /// ROOT/Library/LaunchAgents/com.remote-message.subscriber.plist, which
    /// starts it at each user's login with the system-wide settings
    #[arg(long, value_name = "ROOT", value_hint = ValueHint::DirPath, conflicts_with = "out")]
    pub pkg_root: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub print: PrintArg,
}

/// `--print`, for `install`, `uninstall` and `bundle`.
#[derive(Debug, Args)]
pub struct PrintArg {
    /// Print what would be written and the commands that would run; write
    /// and run nothing
    #[arg(long)]
    pub print: bool,
}

/// The agent's options: the top-level command line of `subscriber`, and
/// what `subscriber install` puts in the entry that starts it at logon.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Session id to listen as, 1 to 64 characters of A-Z a-z 0-9 _ -
    /// [default: the one remembered in --state-dir, else a new random id]
    #[arg(long, value_name = "ID")]
    pub session_id: Option<SessionId>,

    /// User name shown in the session list [default: the OS login name]
    #[arg(long, value_name = "NAME")]
    pub user_name: Option<remote_message::UserName>,

    /// Label shown in the session list, e.g. --label dept=sales; repeatable
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = sessions::parse_label)]
    pub labels: Vec<(String, String)>,

    // Help: "Directory keeping the session id …", naming this OS's default.
    #[arg(long, value_name = "DIR", help = state_dir_help())]
    pub state_dir: Option<std::path::PathBuf>,

    /// How far back a restarted or reconnected agent catches up (e.g. 2h)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "24h")]
    pub catch_up_window: std::time::Duration,

    /// Show only messages signed by this public key (U…, from `publisher
    /// keygen`); repeatable
    #[arg(long = "trust", value_name = "PUBLIC_KEY", value_parser = signing::parse_public_key)]
    pub trust: Vec<remote_message::UserKey>,

    /// How to show each message, e.g. --output desktop
    #[arg(long, value_enum, default_value_t = Output::Auto)]
    pub output: Output,

    /// Also run PROGRAM once per message, the message as one JSON object
    /// on its stdin (never through a shell), e.g. --exec ~/bin/on-message
    #[arg(long, value_name = "PROGRAM", value_hint = ValueHint::ExecutablePath)]
    pub exec: Option<std::path::PathBuf>,

    /// Kill a --exec run that takes longer than this (e.g. 30s)
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration, default_value = "10s")]
    pub exec_timeout: std::time::Duration,

    /// Started at logon by the Run entry `subscriber install` writes on
    /// Windows, or by the macOS installer package's LaunchAgent: with
    /// --output desktop or auto, append the log to a file (and on Windows
    /// let go of the console window Windows opened)
    /// (`autostart::background`). Ignored on Linux.
    #[arg(long, hide = true)]
    pub background: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--state-dir`'s help, naming the default this OS resolves it to
/// ([`crate::state::default_dir`], so help and behaviour cannot disagree).
fn state_dir_help() -> String {
    let default = state::default_dir().map_or_else(
        || "none: no home directory".to_owned(),
        |dir| config::shown_path(&dir),
    );
    format!(
        "Directory keeping the session id and what was shown, so a restarted \
         agent shows what it missed [default: {default}]"
    )
}

impl AgentArgs {
    /// What the agent runs with: this command line, resolved (the default
    /// state directory looked up), without the clap-only parts.
    pub fn into_config(self) -> AgentConfig {
        AgentConfig {
            session_id: self.session_id,
            user_name: self.user_name,
            labels: self.labels,
            state_dir: self.state_dir.or_else(state::default_dir),
            catch_up_window: self.catch_up_window,
            trust: self.trust,
            output: self.output,
            lang: self.common.lang.resolve(),
            exec: self.exec,
            exec_timeout: self.exec_timeout,
            connection: self.common.connection.into(),
        }
    }
}

/// `--output`'s values and their help: [`Output`] as the command line
/// spells it.
impl ValueEnum for Output {
    fn value_variants<'a>() -> &'a [Output] {
        &[
            Output::Auto,
            Output::Desktop,
            Output::Terminal,
            Output::Json,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Output::Auto => PossibleValue::new("auto").help(
                "Desktop notifications when the native service answers at start, else terminal",
            ),
            Output::Desktop => PossibleValue::new("desktop").help(
                "A native notification per message: freedesktop (D-Bus) on Linux, a toast on \
                 Windows, Notification Center on macOS (from an .app bundle)",
            ),
            Output::Terminal => {
                PossibleValue::new("terminal").help("A readable alert block per message")
            }
            Output::Json => {
                PossibleValue::new("json").help("One JSON object per line, for scripts")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency checks on the definition.
    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    /// Repeated labels are kept in order; one without `=` is a usage error.
    #[test]
    fn labels_parse_and_bad_ones_are_usage_errors() {
        let cli =
            Cli::try_parse_from(["subscriber", "--label", "dept=sales", "--label", "floor=2"])
                .unwrap();
        assert_eq!(
            cli.agent.labels,
            [
                ("dept".into(), "sales".into()),
                ("floor".into(), "2".into())
            ]
        );
        let err = Cli::try_parse_from(["subscriber", "--label", "nodelim"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    /// The agent's command line parses as before, without a subcommand;
    /// `install` takes the same options and `--print`, `uninstall` only
    /// `--print` (and the global connection options).
    #[test]
    fn the_agent_runs_without_a_subcommand_and_install_takes_its_options() {
        let cli =
            Cli::try_parse_from(["subscriber", "--output", "json", "--label", "a=b"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.agent.output, Output::Json);
        let cli = Cli::try_parse_from([
            "subscriber",
            "install",
            "--output",
            "desktop",
            "--exec-timeout",
            "30s",
            "--print",
        ])
        .unwrap();
        let Some(Command::Install(install)) = cli.command else {
            panic!("not install")
        };
        assert_eq!(install.agent.output, Output::Desktop);
        assert_eq!(
            install.agent.exec_timeout,
            std::time::Duration::from_secs(30)
        );
        assert!(install.print.print);
        let cli = Cli::try_parse_from(["subscriber", "uninstall"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Uninstall(UninstallArgs {
                print: PrintArg { print: false }
            }))
        ));
        let err = Cli::try_parse_from(["subscriber", "uninstall", "--output", "json"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    /// Session ids that are not 1 to 64 of A-Z a-z 0-9 _ - are usage errors.
    #[test]
    fn bad_session_ids_are_usage_errors() {
        for bad in ["", "a.b", "*", ">", "a b", "é", &"a".repeat(65)] {
            let err = Cli::try_parse_from(["subscriber", "--session-id", bad]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
