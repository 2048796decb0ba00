//! Session ids: the only user-supplied part of a subject.
//!
//! An id becomes the last token of `session.<id>`, so anything NATS treats as
//! syntax (`.`, `*`, `>`, white space) must be refused before it reaches the
//! wire: a `*` must never turn a session send into a send to many.

use std::fmt;
use std::str::FromStr;

/// Longest accepted session id, in characters.
pub const MAX_LEN: usize = 64;

/// What a valid id looks like, for error messages and help text.
pub const RULE: &str = "1 to 64 characters of A-Z a-z 0-9 _ -";

/// A validated session id: 1 to 64 characters of `A-Z a-z 0-9 _ -`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

/// Why a string is not a session id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSessionId {
    #[error("invalid session id: it is empty; a session id is {RULE}")]
    Empty,
    #[error("invalid session id {0:?}: it is {1} characters long; a session id is {RULE}")]
    TooLong(String, usize),
    #[error("invalid session id {0:?}: {1:?} is not allowed; a session id is {RULE}")]
    BadChar(String, char),
}

impl SessionId {
    /// Checks `raw` against the rule and wraps it.
    pub fn parse(raw: &str) -> Result<Self, InvalidSessionId> {
        if raw.is_empty() {
            return Err(InvalidSessionId::Empty);
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(InvalidSessionId::BadChar(raw.to_owned(), bad));
        }
        // Every accepted character is ASCII, so bytes == characters here.
        if raw.len() > MAX_LEN {
            return Err(InvalidSessionId::TooLong(raw.to_owned(), raw.len()));
        }
        Ok(SessionId(raw.to_owned()))
    }

    /// A fresh random id, for an agent started without `--session-id`.
    pub fn random() -> Self {
        // A NUID is 22 characters of [0-9A-Za-z]: always valid, practically unique.
        SessionId(nuid::next().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SessionId {
    type Err = InvalidSessionId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SessionId::parse(s)
    }
}

impl TryFrom<String> for SessionId {
    type Error = InvalidSessionId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SessionId::parse(&s)
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids of the documented alphabet, 1 to 64 characters, are accepted as they are.
    #[test]
    fn accepts_the_documented_alphabet_up_to_64_chars() {
        for ok in ["a", "alice", "Bob_2", "x-y-z", "0", &"a".repeat(64)] {
            assert_eq!(SessionId::parse(ok).unwrap().as_str(), ok);
        }
    }

    /// NATS syntax, white space, non-ASCII, empty and overlong ids are all refused.
    #[test]
    fn refuses_everything_else() {
        let long = "a".repeat(65);
        let cases = [
            "",
            ".",
            "a.b",
            "*",
            ">",
            "a*",
            "a>",
            " ",
            "a b",
            "tab\t",
            "new\nline",
            "é",
            "ünïcode",
            "😀",
            long.as_str(),
        ];
        for bad in cases {
            assert!(SessionId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    /// A refusal names the bad character or the length, and the rule.
    #[test]
    fn errors_say_what_a_valid_id_is() {
        let err = SessionId::parse("a.b").unwrap_err().to_string();
        assert!(err.contains("'.'") && err.contains(RULE), "{err}");
        let err = SessionId::parse(&"a".repeat(65)).unwrap_err().to_string();
        assert!(err.contains("65 characters"), "{err}");
    }

    /// An agent's random id is valid and different each time.
    #[test]
    fn random_ids_are_valid_and_distinct() {
        let a = SessionId::random();
        let b = SessionId::random();
        assert!(SessionId::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
    }
}
