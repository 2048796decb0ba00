//! Process exit codes, one table for both binaries. The enum, the `i32`
//! constants, each code's stable `kind` name and the lines of the "Exit
//! codes:" text at the end of each command's `--help` ([`help`]: only the
//! codes that command can end with) are all generated from the table below,
//! so they cannot disagree (docs/cli.md copies the table).
//!
//! A failure under `--json` is one JSON object on stdout, [`JsonError`]
//! under `error`, naming the code and its kind: what scripts match on
//! (docs/scripts.md), so a kind is never renamed.

use serde::Serialize;

/// Writes the enum [`ExitCode`] and one `i32` constant per code from one
/// table: `Variant CONSTANT = code, "kind", "help line";`.
macro_rules! exit_codes {
    ($($(#[$doc:meta])* $variant:ident $constant:ident = $code:literal, $kind:literal, $help:literal;)*) => {
        /// A documented process exit code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ExitCode {
            $($(#[$doc])* $variant = $code,)*
        }

        impl ExitCode {
            /// Every code, in the order the table lists them.
            pub const ALL: &'static [ExitCode] = &[$(ExitCode::$variant),*];

            /// The number the process ends with.
            pub const fn code(self) -> i32 {
                self as i32
            }

            /// The code's line in `--help`, without the number.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ExitCode::$variant => $help,)*
                }
            }

            /// The code's stable name, snake_case: the `kind` of a
            /// `--json` error object. Never renamed.
            pub const fn kind(self) -> &'static str {
                match self {
                    $(ExitCode::$variant => $kind,)*
                }
            }
        }

        $(
            #[doc = concat!("`", $code, "`: ", $help, ".")]
            pub const $constant: i32 = ExitCode::$variant.code();
        )*
    };
}

exit_codes! {
    /// Done: the message was sent (publisher), or the agent was stopped by
    /// SIGINT/SIGTERM; each command's help says what done is for it.
    Ok OK = 0, "ok", "done";
    /// Something unexpected, e.g. the agent's stdout was closed under it.
    Failure FAILURE = 1, "failure", "unexpected failure";
    /// Usage or invalid input (bad flag, bad session id, empty or oversized
    /// message, unreadable credentials file). Nothing was sent.
    Usage USAGE = 2, "usage", "usage or invalid input; nothing was sent";
    /// The NATS server could not be reached, or it refused the connection or the message.
    Server SERVER = 3, "server", "cannot reach the NATS server, or it refused the connection or the message";
    /// Some target did not confirm the message (not connected, or no receipt
    /// in time); the others got it.
    NotConfirmed NOT_CONFIRMED = 4, "not_confirmed", "sent, but some target did not confirm (not connected, or no receipt in time)";
    /// `--user` named a user with no live session. Nothing was sent.
    NoSession NO_SESSION = 5, "no_session", "--user named a user with no live session; nothing was sent";
    /// `--seal`: a target is not live, or its agent advertises no key. Nothing was sent.
    CannotSeal CANNOT_SEAL = 6, "cannot_seal", "--seal: a target session is not live or has no key; nothing was sent";
    /// `publisher status`: the ledger has no record of that send id.
    UnknownSend UNKNOWN_SEND = 7, "unknown_send", "the ledger has no record of that send id";
}

/// A failure as `--json` prints it, under `error`:
/// `{"error":{"exit_code":2,"kind":"usage","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonError {
    /// The process' exit code.
    pub exit_code: i32,
    /// The code's stable name ([`ExitCode::kind`]).
    pub kind: &'static str,
    /// What stderr says after `<binary>: `, for people.
    pub message: String,
}

impl ExitCode {
    /// This failure under `--json`, saying `message`.
    pub fn json_error(self, message: impl Into<String>) -> JsonError {
        JsonError {
            exit_code: self.code(),
            kind: self.kind(),
            message: message.into(),
        }
    }
}

impl JsonError {
    /// The whole of stdout for a failure that prints nothing else: one
    /// object, `{"error":{…}}`, on one line.
    pub fn line(&self) -> String {
        let mut line = serde_json::json!({ "error": self }).to_string();
        line.push('\n');
        line
    }
}

/// The "Exit codes:" text at the end of one command's `--help`: `0` with
/// what done means for that command, then `codes`, the others it can end
/// with, each with its line of the table.
pub fn help(done: &str, codes: &[ExitCode]) -> String {
    let mut text = format!("Exit codes:\n  {}  {done}", ExitCode::Ok.code());
    for code in codes.iter().filter(|c| **c != ExitCode::Ok) {
        text.push_str(&format!("\n  {}  {}", code.code(), code.meaning()));
    }
    text
}

impl From<ExitCode> for i32 {
    fn from(code: ExitCode) -> i32 {
        code.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command's help lists 0 as it says, then only the codes it is
    /// given, each with its line of the table.
    #[test]
    fn each_command_lists_its_own_codes() {
        assert_eq!(
            help(
                "sent",
                &[ExitCode::Failure, ExitCode::Usage, ExitCode::NoSession]
            ),
            "\
Exit codes:
  0  sent
  1  unexpected failure
  2  usage or invalid input; nothing was sent
  5  --user named a user with no live session; nothing was sent"
        );
        assert_eq!(
            help("stopped", &[]),
            "Exit codes:\n  0  stopped",
            "0 is given once"
        );
    }

    /// Every code appears once, in order, with its own line of the help,
    /// and each constant is its enum value.
    #[test]
    fn codes_constants_and_help_lines_agree() {
        let codes: Vec<i32> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7]);
        let all = help("done", ExitCode::ALL);
        for code in ExitCode::ALL {
            let line = format!("\n  {}  {}", code.code(), code.meaning());
            assert!(all.contains(&line), "{code:?}");
        }
        assert_eq!(
            [
                OK,
                FAILURE,
                USAGE,
                SERVER,
                NOT_CONFIRMED,
                NO_SESSION,
                CANNOT_SEAL,
                UNKNOWN_SEND
            ],
            [0, 1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(i32::from(ExitCode::CannotSeal), CANNOT_SEAL);
    }

    /// The kinds scripts match on are these names, for these codes; a kind
    /// is never renamed (a new code gets a new one).
    #[test]
    fn the_kinds_are_never_renamed() {
        let kinds: Vec<(i32, &str)> = ExitCode::ALL.iter().map(|c| (c.code(), c.kind())).collect();
        assert_eq!(
            kinds,
            [
                (0, "ok"),
                (1, "failure"),
                (2, "usage"),
                (3, "server"),
                (4, "not_confirmed"),
                (5, "no_session"),
                (6, "cannot_seal"),
                (7, "unknown_send"),
            ]
        );
    }

    /// A failure's `--json` line is one object on one line, its error
    /// naming the code, the kind and the message, escaped as JSON.
    #[test]
    fn a_json_error_is_one_object_on_one_line() {
        let line = ExitCode::NoSession
            .json_error("no live session for user \"bob\"\nnothing was sent")
            .line();
        let want = r#"{"error":{"exit_code":5,"kind":"no_session","message":"no live session for user \"bob\"\nnothing was sent"}}"#;
        assert_eq!(line, format!("{want}\n"));
    }
}
