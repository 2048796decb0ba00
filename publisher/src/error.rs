//! The publisher's one error type, in the style of async-nats' `Error<Kind>`:
//! a [`ErrorKind`] that callers and tests match on, the message printed after
//! `publisher: `, and the underlying error when there is one. The kind alone
//! decides the exit code, in [`ErrorKind::exit_code`], the only place that maps
//! failures to exit codes.

use remote_message_cli::exit;
use std::fmt;

/// What went wrong, as far as the caller (and the exit code) is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad flags or input (empty user, unreadable key, oversized message…);
    /// nothing was sent.
    Usage,
    /// The server could not be reached, or it refused the connection or a
    /// request, or did not confirm in time.
    Server,
    /// Sent, but some target did not confirm.
    NotConfirmed,
    /// `--user` named a user with no live session; nothing was sent.
    NoSession,
    /// `--seal`: a target is not live or has no key; nothing was sent.
    CannotSeal,
    /// Something unexpected on this machine (e.g. no async runtime).
    Failure,
}

impl ErrorKind {
    /// The documented exit code of this kind (`remote_message_cli::exit`).
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Server => exit::SERVER,
            ErrorKind::NotConfirmed => exit::NOT_CONFIRMED,
            ErrorKind::NoSession => exit::NO_SESSION,
            ErrorKind::CannotSeal => exit::CANNOT_SEAL,
            ErrorKind::Failure => exit::FAILURE,
        }
    }
}

/// Any underlying error, as a cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure of a publisher command.
///
/// `Display` is the message for the operator, already scrubbed of secrets
/// where a server address is involved; the [`source`](std::error::Error::source)
/// is the raw cause and is not scrubbed, so print the message, not the chain.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<BoxError>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Shorthand for an [`ErrorKind::Usage`] error.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    /// Shorthand for an [`ErrorKind::Server`] error.
    pub fn server(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Server, message)
    }

    /// Keeps `source` as the cause of this error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.source = Some(source.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
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
            (ErrorKind::Failure, 1),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    /// An error built on a cause prints only its own message and keeps the
    /// cause reachable through `source`.
    #[test]
    fn the_cause_is_kept_as_source_not_printed() {
        let cause = std::io::Error::other("low level");
        let err = Error::server("publishing failed").with_source(cause);
        assert_eq!(err.to_string(), "publishing failed");
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(
            err.source().map(|s| s.to_string()).as_deref(),
            Some("low level")
        );
    }
}
