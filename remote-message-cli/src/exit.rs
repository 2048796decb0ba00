//! Process exit codes, one table for both binaries. The enum, the `i32`
//! constants and the lines of the "Exit codes:" text at the end of each
//! command's `--help` ([`help`]: only the codes that command can end with)
//! are all generated from the table below, so they cannot disagree (the
//! README copies the table).

/// Writes the enum [`ExitCode`] and one `i32` constant per code from one
/// table: `Variant CONSTANT = code, "help line";`.
macro_rules! exit_codes {
    ($($(#[$doc:meta])* $variant:ident $constant:ident = $code:literal, $help:literal;)*) => {
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
    Ok OK = 0, "done";
    /// Something unexpected, e.g. the agent's stdout was closed under it.
    Failure FAILURE = 1, "unexpected failure";
    /// Usage or invalid input (bad flag, bad session id, empty or oversized
    /// message, unreadable credentials file). Nothing was sent.
    Usage USAGE = 2, "usage or invalid input; nothing was sent";
    /// The NATS server could not be reached, or it refused the connection or the message.
    Server SERVER = 3, "cannot reach the NATS server, or it refused the connection or the message";
    /// Some target did not confirm the message (not connected, or no receipt
    /// in time); the others got it.
    NotConfirmed NOT_CONFIRMED = 4, "sent, but some target did not confirm (not connected, or no receipt in time)";
    /// `--user` named a user with no live session. Nothing was sent.
    NoSession NO_SESSION = 5, "--user named a user with no live session; nothing was sent";
    /// `--seal`: a target is not live, or its agent advertises no key. Nothing was sent.
    CannotSeal CANNOT_SEAL = 6, "--seal: a target session is not live or has no key; nothing was sent";
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
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6]);
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
                CANNOT_SEAL
            ],
            [0, 1, 2, 3, 4, 5, 6]
        );
        assert_eq!(i32::from(ExitCode::CannotSeal), CANNOT_SEAL);
    }
}
