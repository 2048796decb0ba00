//! The two roles of the per-session identity mode, defined once: the
//! permission templates that nats-server enforces for every agent and for
//! ops, and the `user:` tag that binds an agent's credential to a user name.
//!
//! `publisher admin init` writes these templates into the account JWT as two
//! *scoped signing keys* (role `agent`, role `ops`); a user JWT signed by one
//! of those keys gets exactly the role's permissions, with the templates
//! filled in by the server from the user JWT itself:
//! - `{{name()}}`: the user JWT's `name`, which is the session id;
//! - `{{subject()}}`: the user's public nkey (`U…`);
//! - `{{tag(user)}}`: the value of the JWT's `user:` tag: the lowercase hex
//!   of the bound user name, or `-` when no user is bound.
//!
//! Templates are whole subject tokens only (`session.{{name()}}`, never
//! `session.x{{name()}}`).
//!
//! # Subject layout (both modes)
//!
//! | subject | published by | subscribed by |
//! |---|---|---|
//! | `broadcast` | ops | every agent |
//! | `session.<id>` | ops | agent `<id>` |
//! | `session.<id>.presence` | ops (request, empty, reply `presence.<token>.<id>`); agent `<id>` (its start-up check) | agent `<id>` |
//! | `presence.<token>.<id>` | agent `<id>`: `{"session":"<id>"}` | the asker (ops, or the agent's start-up check) |
//! | `receipt.<token>.<id>` | agent `<id>` | the publisher that set `Receipt-To: receipt.<token>` |
//! | `sessions.ping` | ops, reply subject `sessions.entry.<token>` | every agent |
//! | `sessions.entry.<token>.<id>.<userhex>` | agent `<id>`: its entry | the publisher that pinged |
//! | `_INBOX.<id>.>` | agent `<id>` (its own inbox prefix) | agent `<id>` |
//! | `$JS.API.…` | ops; agents only their own consumers (below) | the server |
//!
//! An agent reads back from the stream only through consumers created on the
//! filtered API subject `$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.<name>.<filter>`:
//! the session consumer is named `<id>` (filter `session.<id>`), the
//! broadcast consumer is named after the agent's public nkey (filter
//! `broadcast`). No durables, no listing, no deleting another's.
//!
//! No role has a response permission (`resp`): a client that may publish and
//! subscribe on its own inbox could send itself a message whose reply
//! subject is any subject and then "respond" there, past every deny. Answers
//! go to subjects that carry the answerer's id instead (`presence.*.<id>`).

use crate::stream::STREAM_NAME;

/// The NATS account both roles live in (per-session identity mode).
pub const ACCOUNT: &str = "REMOTE_MESSAGE";

/// The tag name that carries the bound user: `user:<hex>` or `user:-`.
pub const USER_TAG: &str = "user";

/// The tag value for "no user bound".
pub const NO_USER: &str = "-";

/// Longest user name that can be bound to a session, in bytes (so the hex
/// in a subject token is at most 128 characters).
pub const MAX_USER_LEN: usize = 64;

/// One role: what a user JWT signed by its scoped key may publish and
/// subscribe to (never a response permission: see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The scoped signing key's `role` field.
    pub name: &'static str,
    /// What the key is for, written into the account JWT.
    pub description: &'static str,
    pub publish: &'static [&'static str],
    pub subscribe: &'static [&'static str],
}

/// The agent role: everything it may use carries its own session id (or its
/// own public key, for the broadcast consumer).
pub const AGENT: Role = Role {
    name: "agent",
    description: "remote-message agent: one session, named by the user JWT's name",
    publish: &[
        "_INBOX.{{name()}}.>",
        "receipt.*.{{name()}}",
        "presence.*.{{name()}}",
        "session.{{name()}}.presence",
        "sessions.entry.*.{{name()}}.{{tag(user)}}",
        "$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{name()}}.session.{{name()}}",
        "$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{subject()}}.broadcast",
        "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{name()}}",
        "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{subject()}}",
        "$JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{name()}}",
        "$JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{subject()}}",
        "$JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{name()}}",
        "$JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{subject()}}",
    ],
    subscribe: &[
        "broadcast",
        "session.{{name()}}",
        "session.{{name()}}.presence",
        "sessions.ping",
        "_INBOX.{{name()}}.>",
        "presence.*.{{name()}}",
    ],
};

/// The ops role: sends, asks who is there, manages the stream.
pub const OPS: Role = Role {
    name: "ops",
    description: "remote-message ops: sends, lists sessions, manages the stream",
    publish: &[
        "broadcast",
        "session.*",
        "session.*.presence",
        "sessions.ping",
        "$JS.API.>",
    ],
    subscribe: &["_INBOX.>", "receipt.>", "sessions.entry.>", "presence.>"],
};

/// Both roles, in the order `admin init` writes them.
pub const ROLES: [Role; 2] = [AGENT, OPS];

/// Why a user name cannot be bound to a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUserName {
    #[error("invalid user name: it is empty; a user name is 1 to {MAX_USER_LEN} bytes without control characters")]
    Empty,
    #[error("invalid user name: it is {0} bytes long; a user name is 1 to {MAX_USER_LEN} bytes without control characters")]
    TooLong(usize),
    #[error("invalid user name {0:?}: it holds a control character")]
    Control(String),
}

/// Checks a user name to bind: 1..=64 bytes, no control characters.
pub fn check_user_name(name: &str) -> Result<(), InvalidUserName> {
    if name.is_empty() {
        return Err(InvalidUserName::Empty);
    }
    if name.len() > MAX_USER_LEN {
        return Err(InvalidUserName::TooLong(name.len()));
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidUserName::Control(name.to_owned()));
    }
    Ok(())
}

/// The subject token for a bound user: lowercase hex of its UTF-8 bytes, or
/// `-` for none.
pub fn user_token(user: Option<&str>) -> String {
    match user {
        None => NO_USER.to_owned(),
        Some(name) => name.bytes().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The user JWT tag for a bound user (`user:<hex>`) or for none (`user:-`).
pub fn user_tag(user: Option<&str>) -> String {
    format!("{USER_TAG}:{}", user_token(user))
}

/// Reads a user token back: `Some(None)` for `-`, `Some(Some(name))` for
/// lowercase hex of a valid user name, `None` for anything else.
pub fn parse_user_token(token: &str) -> Option<Option<String>> {
    if token == NO_USER {
        return Some(None);
    }
    if token.is_empty() || !token.len().is_multiple_of(2) || token.len() > 2 * MAX_USER_LEN {
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
    check_user_name(&name).ok()?;
    Some(Some(name))
}

/// Reads a `user:` tag (`user:<hex>` / `user:-`) as [`parse_user_token`] does;
/// `None` when it is not a valid user tag.
pub fn parse_user_tag(tag: &str) -> Option<Option<String>> {
    let value = tag.strip_prefix(USER_TAG)?.strip_prefix(':')?;
    parse_user_token(value)
}

/// The API subject prefix every agent consumer permission starts with.
pub fn consumer_api(action: &str) -> String {
    format!("$JS.API.CONSUMER.{action}.{STREAM_NAME}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent's consumer permissions name the stream the agents read
    /// (the templates are literals, the stream name a constant: they agree).
    #[test]
    fn agent_consumer_subjects_name_the_stream() {
        let js: Vec<_> = AGENT
            .publish
            .iter()
            .filter(|s| s.starts_with("$JS."))
            .collect();
        assert_eq!(js.len(), 8);
        for subject in js {
            assert!(
                ["CREATE", "MSG.NEXT", "DELETE", "INFO"]
                    .iter()
                    .any(|a| subject.starts_with(&consumer_api(a))),
                "{subject}"
            );
        }
    }

    /// Every template is a whole token: nats-server expands only those.
    #[test]
    fn templates_are_whole_tokens() {
        for role in ROLES {
            for subject in role.publish.iter().chain(role.subscribe) {
                for token in subject.split('.') {
                    if token.contains("{{") {
                        assert!(
                            token.starts_with("{{") && token.ends_with("}}"),
                            "{subject}"
                        );
                    }
                }
            }
        }
    }

    /// A user name goes to hex and back; `-` is "none"; the tag wraps it.
    #[test]
    fn user_tokens_round_trip() {
        assert_eq!(user_token(Some("vanessa")), "76616e65737361");
        assert_eq!(user_tag(None), "user:-");
        assert_eq!(parse_user_tag("user:-"), Some(None));
        for name in ["vanessa", "Zoë Müller", "a.b*c>", &"x".repeat(64)] {
            assert_eq!(
                parse_user_tag(&user_tag(Some(name))),
                Some(Some(name.to_owned()))
            );
        }
    }

    /// Anything that is not a valid token is refused: odd length, upper
    /// case, not hex, not UTF-8, too long, a control character, another tag.
    #[test]
    fn bad_user_tokens_are_refused() {
        for bad in ["", "7", "7G", "76616E", "ff", "0a", "zz", &"61".repeat(65)] {
            assert_eq!(parse_user_token(bad), None, "{bad:?}");
        }
        assert_eq!(parse_user_tag("users:-"), None);
        assert_eq!(parse_user_tag("-"), None);
    }

    /// User names: 1..=64 bytes, no control characters.
    #[test]
    fn user_names_are_checked() {
        assert_eq!(check_user_name(""), Err(InvalidUserName::Empty));
        assert_eq!(
            check_user_name(&"é".repeat(33)),
            Err(InvalidUserName::TooLong(66))
        );
        assert!(matches!(
            check_user_name("a\tb"),
            Err(InvalidUserName::Control(_))
        ));
        assert_eq!(check_user_name("vanessa"), Ok(()));
    }
}
