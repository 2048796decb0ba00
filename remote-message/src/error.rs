//! One error shape for every fallible part of both crates (as in async-nats'
//! `Error<Kind>`): a small `Copy` kind that code matches on, the text a user
//! reads, and the error that caused it, kept for `source()` chains.
//!
//! Each module names its own kind enum (e.g. [`crate::stream::StreamErrorKind`])
//! and an alias (`type StreamError = Error<StreamErrorKind>`), so callers
//! decide by `kind()`, never by the wording.

use std::fmt::{self, Debug, Display};

/// The cause of an error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a kind enum provides: the words for an error of that kind.
pub trait ErrorKind: Copy + Debug + PartialEq + Eq + Send + Sync + 'static {
    /// The message for an error of this kind with no context, e.g. "this
    /// NATS server has no JetStream". Empty when the source says it all
    /// (the message is then the source's).
    fn describe(self) -> &'static str;
}

/// An error of kind `K`.
///
/// Its message is the context when there is one (a complete sentence for
/// the user, naming the flag, file or server involved); else the kind's
/// description, followed by `: <source>` when there is a source.
pub struct Error<K> {
    kind: K,
    context: Option<String>,
    source: Option<BoxError>,
}

impl<K: ErrorKind> Error<K> {
    /// An error of `kind`, with neither context nor source.
    pub fn new(kind: K) -> Error<K> {
        Error {
            kind,
            context: None,
            source: None,
        }
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(kind: K, source: impl Into<BoxError>) -> Error<K> {
        Error::new(kind).caused_by(source)
    }

    /// An error of `kind` whose message is `context`.
    pub fn with_context(kind: K, context: impl Into<String>) -> Error<K> {
        Error::new(kind).context(context)
    }

    /// Sets the message the user reads.
    pub fn context(mut self, context: impl Into<String>) -> Error<K> {
        self.context = Some(context.into());
        self
    }

    /// Sets the error that caused this one.
    pub fn caused_by(mut self, source: impl Into<BoxError>) -> Error<K> {
        self.source = Some(source.into());
        self
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> K {
        self.kind
    }
}

impl<K: ErrorKind> Display for Error<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(context) = &self.context {
            return f.write_str(context);
        }
        let what = self.kind.describe();
        match &self.source {
            Some(source) if what.is_empty() => write!(f, "{source}"),
            Some(source) => write!(f, "{what}: {source}"),
            None => f.write_str(what),
        }
    }
}

impl<K: ErrorKind> Debug for Error<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl<K: ErrorKind> std::error::Error for Error<K> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Lets `?` turn a kind into an error of that kind.
impl<K: ErrorKind> From<K> for Error<K> {
    fn from(kind: K) -> Error<K> {
        Error::new(kind)
    }
}

/// Two errors are equal when their kinds and messages are (sources are not
/// compared: they need not be comparable).
impl<K: ErrorKind> PartialEq for Error<K> {
    fn eq(&self, other: &Error<K>) -> bool {
        self.kind == other.kind && self.to_string() == other.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Toy {
        Quiet,
        Loud,
    }

    impl ErrorKind for Toy {
        fn describe(self) -> &'static str {
            match self {
                Toy::Quiet => "",
                Toy::Loud => "it went wrong",
            }
        }
    }

    fn io() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no such thing")
    }

    /// The message is the context if any, else the kind's words and the
    /// source; a kind with no words shows the source alone.
    #[test]
    fn the_message_is_the_context_else_the_kind_and_the_source() {
        assert_eq!(Error::new(Toy::Loud).to_string(), "it went wrong");
        assert_eq!(
            Error::with_source(Toy::Loud, io()).to_string(),
            "it went wrong: no such thing"
        );
        assert_eq!(
            Error::with_source(Toy::Quiet, io()).to_string(),
            "no such thing"
        );
        let both = Error::with_source(Toy::Loud, io()).context("file x: missing");
        assert_eq!(both.to_string(), "file x: missing");
        assert_eq!(both.kind(), Toy::Loud);
    }

    /// The cause stays reachable through `source()` even when the context
    /// replaces it in the message.
    #[test]
    fn the_source_is_kept_for_chains() {
        let err = Error::with_context(Toy::Loud, "ctx").caused_by(io());
        let source = err.source().expect("a source");
        assert_eq!(
            source.downcast_ref::<std::io::Error>().map(|e| e.kind()),
            Some(std::io::ErrorKind::NotFound)
        );
        assert!(Error::new(Toy::Quiet).source().is_none());
        assert_eq!(Error::from(Toy::Loud), Error::new(Toy::Loud));
        assert_ne!(Error::new(Toy::Loud), Error::new(Toy::Quiet));
    }
}
