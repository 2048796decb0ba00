//! What each command's help shows, beyond what clap derives from the
//! definitions, so that it only tells what is true of that command: the
//! connection options only where the command connects (they are global, so
//! clap would list them under every subcommand), and usage lines that stay
//! the same when the environment supplies a value (clap's usage after an
//! error lists every option that has a value, so `NATS_URL` made `send`'s
//! read `publisher send --server <URLS> <MESSAGE>`, as if `--server` were
//! required). [`finish`] makes that command from the binary's definition
//! (`startup::Definition::finished`) only when help, an error, the man page
//! or completions are to be shown: a command line that parses is parsed
//! with the plain one, and a one-shot `publisher send` does not pay for it.

use crate::connection::ConnectionArgs;
use clap::{Args, Command};

/// `command` built (each subcommand given the global options), the
/// connection options hidden in each subcommand at `offline` (paths of
/// subcommand names, e.g. `["admin", "init"]`: commands that never connect),
/// and every usage line pinned to the one help shows.
///
/// Hidden options still parse there, as global options do everywhere, so a
/// script that gives `--server` to every command keeps working.
pub fn finish(mut command: Command, offline: &[&[&str]]) -> Command {
    command.build();
    for path in offline {
        let sub = path
            .iter()
            .try_fold(&mut command, |at, name| at.find_subcommand_mut(name))
            .unwrap_or_else(|| panic!("no subcommand {path:?}"));
        *sub = hide_connection_options(std::mem::take(sub));
    }
    pin_usage(&mut command);
    command
}

/// `command` with the connection options ([`ConnectionArgs`]) hidden.
fn hide_connection_options(command: Command) -> Command {
    let connection = ConnectionArgs::augment_args(Command::new("connection"));
    let ids: Vec<&str> = connection
        .get_arguments()
        .map(|arg| arg.get_id().as_str())
        .collect();
    command.mut_args(|arg| {
        let hide = ids.contains(&arg.get_id().as_str()) || arg.is_hide_set();
        arg.hide(hide)
    })
}

/// Sets each command's usage, recursively, to the one its help shows (as
/// if nothing were given), which clap then shows after an error too.
fn pin_usage(command: &mut Command) {
    let usage = command.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage).to_owned();
    *command = std::mem::take(command).override_usage(usage);
    for sub in command.get_subcommands_mut() {
        pin_usage(sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser, Subcommand};

    /// Shaped like `publisher`: global connection options, a subcommand
    /// that connects and one that does not.
    #[derive(Debug, Parser)]
    #[command(name = "toy")]
    struct Toy {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(subcommand)]
        command: ToyCommand,
    }

    #[derive(Debug, Subcommand)]
    enum ToyCommand {
        /// Connects
        Send { message: String },
        /// Never connects
        Keygen {
            #[arg(long)]
            out: String,
        },
    }

    fn help(command: &mut Command, sub: &str) -> String {
        command
            .find_subcommand_mut(sub)
            .unwrap()
            .render_long_help()
            .to_string()
    }

    /// The offline subcommand's help has no connection option, though it
    /// still takes one; the other's help keeps them.
    #[test]
    fn connection_options_are_hidden_where_nothing_connects() {
        let mut command = finish(Toy::command(), &[&["keygen"]]);
        let keygen = help(&mut command, "keygen");
        assert!(
            !keygen.contains("--server") && !keygen.contains("--creds"),
            "{keygen}"
        );
        assert!(keygen.contains("--out"), "{keygen}");
        assert!(help(&mut command, "send").contains("--server"));
        let matches = command
            .try_get_matches_from(["toy", "keygen", "--out", "k", "--server", "nats://h:1"])
            .unwrap();
        assert_eq!(
            matches
                .subcommand()
                .unwrap()
                .1
                .get_one::<String>("server")
                .map(String::as_str),
            Some("nats://h:1")
        );
    }

    /// The usage after an error is the help's, whatever has a value: a
    /// `--server` typed (as `NATS_URL` would give it) is not shown as if
    /// it were required.
    #[test]
    fn usage_lines_stay_the_ones_help_shows() {
        let mut command = finish(Toy::command(), &[]);
        let err = command
            .try_get_matches_from_mut(["toy", "send", "--server", "nats://h:1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("Usage: toy send [OPTIONS] <MESSAGE>"), "{err}");
        assert!(!err.contains("--server <URLS>"), "{err}");
    }
}
