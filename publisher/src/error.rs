//! The publisher's errors: the contract's `Error<Kind>` (as in async-nats)
//! with the publisher's own [`ErrorKind`], which callers and tests match on.
//! The message printed after `publisher: ` is the error's context; the
//! underlying error is its `source()`. The kind alone decides the exit code,
//! in [`ErrorKind::exit`], the only place that maps failures to exit
//! codes (and so to the `kind` of a `--json` error, [`json_error`]).

pub use remote_message::error::BoxError;
use remote_message_cli::exit::{ExitCode, JsonError};

/// A failure of a publisher command.
///
/// `Display` is the message for the operator, already scrubbed of secrets
/// where a server address is involved; the [`source`](std::error::Error::source)
/// is the raw cause and is not scrubbed, so print the message, not the chain.
pub type Error = remote_message::error::Error<ErrorKind>;

/// What went wrong, as far as the caller (and the exit code) is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags or input (empty user, unreadable key, oversized message…);
    /// nothing was sent.
    Usage,
    /// The server could not be reached, or it refused the connection or a
    /// request, or did not confirm in time.
    Server,
    /// Sent, but some target did not confirm. The one failure that comes
    /// after the command printed its result (the send's report, which
    /// carries the error under `--json`).
    NotConfirmed,
    /// `--user` named a user with no live session; nothing was sent.
    NoSession,
    /// `--seal`: a target is not live or has no key; nothing was sent.
    CannotSeal,
    /// `status`: the ledger knows nothing of that send id.
    UnknownSend,
    /// Something unexpected on this machine (e.g. no async runtime).
    Failure,
}

impl ErrorKind {
    /// The documented exit code of this kind (`remote_message_cli::exit`).
    pub fn exit(self) -> ExitCode {
        match self {
            ErrorKind::Usage => ExitCode::Usage,
            ErrorKind::Server => ExitCode::Server,
            ErrorKind::NotConfirmed => ExitCode::NotConfirmed,
            ErrorKind::NoSession => ExitCode::NoSession,
            ErrorKind::CannotSeal => ExitCode::CannotSeal,
            ErrorKind::UnknownSend => ExitCode::UnknownSend,
            ErrorKind::Failure => ExitCode::Failure,
        }
    }

    /// [`ErrorKind::exit`] as the number the process ends with.
    pub fn exit_code(self) -> i32 {
        self.exit().code()
    }

    /// Whether a command failing with this kind printed its result already
    /// (see [`ErrorKind::NotConfirmed`]): nothing more goes on stdout.
    pub fn follows_the_result(self) -> bool {
        self == ErrorKind::NotConfirmed
    }

    /// An error of this kind whose message is `message`.
    pub fn error(self, message: impl Into<String>) -> Error {
        Error::with_context(self, message)
    }
}

/// `error` as `--json` has it: its exit code, the code's kind, and the
/// message stderr shows after `publisher: `.
pub fn json_error(error: &Error) -> JsonError {
    error.kind().exit().json_error(error.to_string())
}

impl remote_message::error::ErrorKind for ErrorKind {
    /// Every publisher error carries its own message; these only show if
    /// one is built without.
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Usage => "invalid input; nothing was sent",
            ErrorKind::Server => "the NATS server failed",
            ErrorKind::NotConfirmed => "some target did not confirm",
            ErrorKind::NoSession => "no live session for that user; nothing was sent",
            ErrorKind::CannotSeal => "cannot seal; nothing was sent",
            ErrorKind::UnknownSend => "no record of that send in the ledger",
            ErrorKind::Failure => "unexpected failure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// Each kind ends the process with the code the exit table documents.
    #[test]
    fn each_kind_has_its_documented_exit_code() {
        let table = [
            (ErrorKind::Usage, 2),
            (ErrorKind::Server, 3),
            (ErrorKind::NotConfirmed, 4),
            (ErrorKind::NoSession, 5),
            (ErrorKind::CannotSeal, 6),
            (ErrorKind::UnknownSend, 7),
            (ErrorKind::Failure, 1),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    /// An error under `--json` names its exit code, that code's kind and
    /// the message stderr shows.
    #[test]
    fn an_error_as_json_names_its_code_kind_and_message() {
        let err = ErrorKind::NoSession.error("no live session for user bob");
        assert_eq!(
            json_error(&err),
            JsonError {
                exit_code: 5,
                kind: "no_session",
                message: "no live session for user bob".into(),
            }
        );
        assert_eq!(json_error(&ErrorKind::Usage.into()).kind, "usage");
    }

    /// An error built on a cause prints only its own message and keeps the
    /// cause reachable through `source`.
    #[test]
    fn the_cause_is_kept_as_source_not_printed() {
        let cause = std::io::Error::other("low level");
        let err = ErrorKind::Server
            .error("publishing failed")
            .caused_by(cause);
        assert_eq!(err.to_string(), "publishing failed");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(
            err.source().map(|s| s.to_string()).as_deref(),
            Some("low level")
        );
    }
}
