//! User names, with the one rule every user name follows, and their subject
//! token.
//!
//! A user name is what the session list shows and `send --user` picks
//! sessions by: bound to a session by ops (`admin agent-creds --user`), else
//! the agent's `--user-name` or the OS login name. It travels as the last
//! token of the agent's listing answer (`sessions.entry.<token>.<id>.<user>`)
//! and in its creds' `user:` tag, hex-encoded, `-` for no user. "No user" is
//! `None` (an `Option<UserName>`); the session list's JSON writes it `""`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Longest user name, in bytes (so its hex token is at most 128 characters).
pub const MAX_LEN: usize = 64;

/// The token for "no user".
pub const NO_USER: &str = "-";

/// A user name: 1 to 64 bytes without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

/// Why a string is not a user name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUserName {
    #[error("invalid user name: it is empty; a user name is 1 to {MAX_LEN} bytes without control characters")]
    Empty,
    #[error("invalid user name: it is {0} bytes long; a user name is 1 to {MAX_LEN} bytes without control characters")]
    TooLong(usize),
    #[error("invalid user name {0:?}: it holds a control character")]
    Control(String),
}

impl UserName {
    /// Checks `raw` against the rule: 1..=64 bytes, no control characters.
    pub fn parse(raw: &str) -> Result<UserName, InvalidUserName> {
        if raw.is_empty() {
            return Err(InvalidUserName::Empty);
        }
        if raw.len() > MAX_LEN {
            return Err(InvalidUserName::TooLong(raw.len()));
        }
        if raw.chars().any(char::is_control) {
            return Err(InvalidUserName::Control(raw.to_owned()));
        }
        Ok(UserName(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject token of `user`: lowercase hex of its UTF-8 bytes, or
    /// `-` for none.
    pub fn token(user: Option<&UserName>) -> String {
        match user {
            None => NO_USER.to_owned(),
            Some(name) => name.0.bytes().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Reads a token back: `Some(None)` for `-`, `Some(Some(name))` for the
    /// lowercase hex of a user name, `None` for anything else.
    pub fn from_token(token: &str) -> Option<Option<UserName>> {
        if token == NO_USER {
            return Some(None);
        }
        if token.is_empty() || !token.len().is_multiple_of(2) || token.len() > 2 * MAX_LEN {
            return None;
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let bytes = token
            .as_bytes()
            .chunks(2)
            .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
            .collect::<Option<Vec<u8>>>()?;
        let name = String::from_utf8(bytes).ok()?;
        UserName::parse(&name).ok().map(Some)
    }

    /// `user` as the session list shows it: `""` for none.
    pub fn shown(user: Option<&UserName>) -> &str {
        user.map_or("", UserName::as_str)
    }
}

/// Whether `user` (a session's user as the list shows it, `""` for none) is
/// the user `asked` for: equal but for case, as 4D's own comparison of
/// strings (and so its query on `Process activity`'s `systemUserName`) is:
/// `Vanessa` is `vanessa`, while accents still count (`José` is not
/// `Jose`). The one rule of `--user` and of `--where user=NAME`.
pub fn is_user(user: &str, asked: &str) -> bool {
    user.chars()
        .flat_map(char::to_lowercase)
        .eq(asked.chars().flat_map(char::to_lowercase))
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for UserName {
    type Err = InvalidUserName;

    fn from_str(raw: &str) -> Result<UserName, InvalidUserName> {
        UserName::parse(raw)
    }
}

/// Serde for an `Option<UserName>` written `""` for none (the session
/// list's JSON): `#[serde(with = "user_name::or_empty")]`.
pub mod or_empty {
    use super::UserName;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(user: &Option<UserName>, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(UserName::shown(user.as_ref()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<UserName>, D::Error> {
        let raw = String::deserialize(input)?;
        if raw.is_empty() {
            return Ok(None);
        }
        UserName::parse(&raw)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for UserName {
    fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UserName {
    fn deserialize<D: Deserializer<'de>>(input: D) -> Result<UserName, D::Error> {
        let raw = String::deserialize(input)?;
        UserName::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> UserName {
        UserName::parse(raw).unwrap()
    }

    /// User names match as 4D compares strings: any case (beyond ASCII
    /// too), but accents and every other character count.
    #[test]
    fn user_names_match_whatever_their_case_but_not_their_accents() {
        for (user, asked) in [
            ("vanessa", "Vanessa"),
            ("VANESSA", "vanessa"),
            ("élodie", "ÉLODIE"),
        ] {
            assert!(is_user(user, asked), "{user} / {asked}");
        }
        for (user, asked) in [
            ("José", "jose"),
            ("vanessa", "vaness"),
            ("vanessa", "vanessa "),
        ] {
            assert!(!is_user(user, asked), "{user} / {asked}");
        }
    }

    /// User names: 1..=64 bytes, no control characters.
    #[test]
    fn user_names_are_checked() {
        assert_eq!(UserName::parse(""), Err(InvalidUserName::Empty));
        assert_eq!(
            UserName::parse(&"é".repeat(33)),
            Err(InvalidUserName::TooLong(66))
        );
        assert!(matches!(
            UserName::parse("a\tb"),
            Err(InvalidUserName::Control(_))
        ));
        assert_eq!(name("vanessa").as_str(), "vanessa");
    }

    /// A user name goes to hex and back; `-` is "none".
    #[test]
    fn user_tokens_round_trip() {
        assert_eq!(UserName::token(Some(&name("vanessa"))), "76616e65737361");
        assert_eq!(UserName::token(None), "-");
        assert_eq!(UserName::from_token("-"), Some(None));
        for raw in ["vanessa", "Zoë Müller", "a.b*c>", &"x".repeat(64)] {
            let user = name(raw);
            assert_eq!(
                UserName::from_token(&UserName::token(Some(&user))),
                Some(Some(user))
            );
        }
    }

    /// Anything that is not a valid token is refused: odd length, upper
    /// case, not hex, not UTF-8, too long, a control character.
    #[test]
    fn bad_user_tokens_are_refused() {
        for bad in [
            "",
            "7",
            "7G",
            "--",
            "76616E",
            "ff",
            "0a",
            "zz",
            &"61".repeat(65),
        ] {
            assert_eq!(UserName::from_token(bad), None, "{bad:?}");
        }
    }

    /// In the session list's JSON, no user is `""`.
    #[test]
    fn no_user_is_written_empty() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Row {
            #[serde(with = "or_empty")]
            user: Option<UserName>,
        }
        for (row, json) in [
            (Row { user: None }, r#"{"user":""}"#),
            (
                Row {
                    user: Some(name("bob")),
                },
                r#"{"user":"bob"}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&row).unwrap(), json);
            assert_eq!(serde_json::from_str::<Row>(json).unwrap(), row);
        }
    }
}
