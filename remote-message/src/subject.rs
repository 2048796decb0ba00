//! The subjects of the wire contract and the target each message subject
//! names.
//!
//! Every agent subscribes to [`BROADCAST`] and to its own `session.<id>`;
//! the publisher sends to one or the other. Everything an agent publishes
//! (receipts, its session-list entry) goes on a subject that ends with (or
//! carries) its own session id, so that a broker enforcing per-session
//! identity can refuse any other, and the publisher reads identity from the
//! subject only.

use crate::session_id::SessionId;
use std::fmt;

/// Subject every agent listens on.
pub const BROADCAST: &str = "broadcast";

/// Prefix of the per-session subject `session.<id>`.
pub const SESSION_PREFIX: &str = "session.";

/// Subject an agent answers on while it runs: `session.<id>.presence`. A
/// request there gets "no responders" at once when nobody holds the id.
pub fn presence_subject(id: &SessionId) -> String {
    format!("{SESSION_PREFIX}{id}.presence")
}

/// Prefix of the presence reply subjects: `presence.<token>.<id>`.
pub const PRESENCE_PREFIX: &str = "presence.";

/// The reply subject of a presence request for session `id`:
/// `presence.<token>.<id>`. The answer goes there, and so does the server's
/// "no responders", so its last token says which session it is about; a
/// broker enforcing identity lets only agent `id` publish there (a response
/// permission would let any agent answer anywhere: protocol.md says why).
pub fn presence_reply(token: &str, id: &SessionId) -> String {
    format!("{PRESENCE_PREFIX}{token}.{id}")
}

/// What the asker subscribes to for the presence answers of `token`.
pub fn presence_filter(token: &str) -> String {
    format!("{PRESENCE_PREFIX}{token}.*")
}

/// The session a presence answer (or "no responders") on `subject` is about,
/// when `subject` is `presence.<one token>.<id>`.
pub fn presence_about(subject: &str) -> Option<SessionId> {
    let (token, id) = subject.strip_prefix(PRESENCE_PREFIX)?.split_once('.')?;
    is_token(token).then_some(())?;
    SessionId::parse(id).ok()
}

/// Subject ops pings to list the live sessions (reply subject
/// `sessions.entry.<token>`).
pub const SESSIONS_PING: &str = "sessions.ping";

/// Prefix of the session-list answers: `sessions.entry.<token>.<id>.<user>`.
pub const ENTRY_PREFIX: &str = "sessions.entry.";

/// Prefix of the receipt subjects: `receipt.<token>.<id>`.
pub const RECEIPT_PREFIX: &str = "receipt.";

/// A fresh random subject token (22 characters of `0-9 A-Z a-z`).
pub fn new_token() -> String {
    nuid::next().to_string()
}

/// Whether `token` is exactly one plain NATS subject token: not empty, no
/// `.`, no wildcard, no white space or control character.
pub fn is_token(token: &str) -> bool {
    !token.is_empty()
        && !token
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace() || c.is_control())
}

/// The `<token>` of `<prefix><token>` when it is exactly one token.
fn one_token_after<'a>(subject: &'a str, prefix: &str) -> Option<&'a str> {
    subject.strip_prefix(prefix).filter(|t| is_token(t))
}

/// A publisher's `Receipt-To` value: `receipt.<token>`, with a fresh token.
pub fn new_receipt_to() -> String {
    format!("{RECEIPT_PREFIX}{}", new_token())
}

/// What the publisher subscribes to for the receipts of `receipt_to`.
pub fn receipt_filter(receipt_to: &str) -> String {
    format!("{receipt_to}.*")
}

/// Where agent `id` sends a receipt for a message whose `Receipt-To` is
/// `receipt_to`: `<receipt_to>.<id>`; `None` unless `receipt_to` is
/// `receipt.<one token>`.
pub fn receipt_subject(receipt_to: &str, id: &SessionId) -> Option<String> {
    one_token_after(receipt_to, RECEIPT_PREFIX).map(|_| format!("{receipt_to}.{id}"))
}

/// The session a receipt on `subject` comes from, when `subject` is
/// `<receipt_to>.<id>`; `None` for anything else.
pub fn receipt_sender(receipt_to: &str, subject: &str) -> Option<SessionId> {
    let id = subject.strip_prefix(receipt_to)?.strip_prefix('.')?;
    SessionId::parse(id).ok()
}

/// The reply subject of a session listing: `sessions.entry.<token>`.
pub fn new_entry_reply() -> String {
    format!("{ENTRY_PREFIX}{}", new_token())
}

/// Whether `reply` is a listing's reply subject an agent answers:
/// `sessions.entry.<one token>`.
pub fn is_entry_reply(reply: &str) -> bool {
    one_token_after(reply, ENTRY_PREFIX).is_some()
}

/// Where agent `id` of user token `user` (see
/// [`crate::user_name::UserName::token`]) answers the listing `reply`.
pub fn entry_subject(reply: &str, id: &SessionId, user: &str) -> String {
    format!("{reply}.{id}.{user}")
}

/// The `(id, user token)` an answer on `subject` to the listing `reply`
/// carries; `None` unless it is `<reply>.<id>.<one token>`.
pub fn entry_sender<'a>(reply: &str, subject: &'a str) -> Option<(SessionId, &'a str)> {
    let rest = subject.strip_prefix(reply)?.strip_prefix('.')?;
    let (id, user) = rest.split_once('.')?;
    is_token(user).then_some(())?;
    Some((SessionId::parse(id).ok()?, user))
}

/// Who a message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every connected session.
    Broadcast,
    /// One session.
    Session(SessionId),
}

impl Target {
    /// The NATS subject this target is published on.
    pub fn subject(&self) -> String {
        match self {
            Target::Broadcast => BROADCAST.to_owned(),
            Target::Session(id) => format!("{SESSION_PREFIX}{id}"),
        }
    }

    /// Which target a subject an agent received on names; `None` for any other subject.
    pub fn from_subject(subject: &str) -> Option<Target> {
        if subject == BROADCAST {
            return Some(Target::Broadcast);
        }
        let id = subject.strip_prefix(SESSION_PREFIX)?;
        SessionId::parse(id).ok().map(Target::Session)
    }

    /// `"broadcast"` or `"session"`, as in the agent's JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Broadcast => "broadcast",
            Target::Session(_) => "session",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.subject())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session's subject names that session, and `broadcast` names every session.
    #[test]
    fn subjects_round_trip() {
        let alice = Target::Session(SessionId::parse("alice").unwrap());
        assert_eq!(alice.subject(), "session.alice");
        assert_eq!(Target::from_subject("session.alice"), Some(alice));
        assert_eq!(Target::from_subject("broadcast"), Some(Target::Broadcast));
    }

    /// A presence reply subject names the session it asks about, and only
    /// `presence.<one token>.<valid id>` is read back as one.
    #[test]
    fn presence_replies_carry_the_session_id() {
        let bob = SessionId::parse("bob").unwrap();
        let token = new_token();
        let reply = presence_reply(&token, &bob);
        assert_eq!(reply, format!("presence.{token}.bob"));
        assert_eq!(presence_about(&reply), Some(bob));
        assert_eq!(presence_filter(&token), format!("presence.{token}.*"));
        for bad in [
            "presence.bob",
            "presence.t.b.c",
            "presence.*.bob",
            "presence.t.b*",
            "_INBOX.t.bob",
        ] {
            assert_eq!(presence_about(bad), None, "{bad}");
        }
    }

    /// A receipt goes to `<Receipt-To>.<id>` only for a `receipt.<one token>`
    /// Receipt-To, and the sender is read back from exactly that shape.
    #[test]
    fn receipt_subjects_carry_the_session_id() {
        let alice = SessionId::parse("alice").unwrap();
        let to = new_receipt_to();
        assert!(to.starts_with("receipt.") && is_token(&to["receipt.".len()..]));
        let subject = receipt_subject(&to, &alice).unwrap();
        assert_eq!(subject, format!("{to}.alice"));
        assert_eq!(receipt_sender(&to, &subject), Some(alice.clone()));
        assert_eq!(receipt_filter(&to), format!("{to}.*"));
        for bad in [
            "receipt.",
            "receipt.a.b",
            "receipt.*",
            "receipt.>",
            "_INBOX.x",
            "receipt",
        ] {
            assert_eq!(receipt_subject(bad, &alice), None, "{bad}");
        }
        for bad in [
            to.clone(),
            format!("{to}.a.b"),
            format!("{to}.a*"),
            format!("{to}x.alice"),
            "receipt.other.alice".to_owned(),
        ] {
            assert_eq!(receipt_sender(&to, &bad), None, "{bad}");
        }
    }

    /// A listing entry subject carries the id and the user token, and only
    /// that exact shape is read back.
    #[test]
    fn entry_subjects_carry_id_and_user() {
        let bob = SessionId::parse("bob").unwrap();
        let reply = new_entry_reply();
        assert!(is_entry_reply(&reply));
        let subject = entry_subject(&reply, &bob, "626f62");
        assert_eq!(
            entry_sender(&reply, &subject),
            Some((bob.clone(), "626f62"))
        );
        assert_eq!(
            entry_sender(&reply, &entry_subject(&reply, &bob, "-")),
            Some((bob, "-"))
        );
        for bad in ["x", "bob", "bob.", "bob.a.b", "a.b.c", "*.626f62", "bob.*"] {
            assert_eq!(
                entry_sender(&reply, &format!("{reply}.{bad}")),
                None,
                "{bad}"
            );
        }
        for bad in [
            "sessions.entry.",
            "sessions.entry.a.b",
            "sessions.entry.>",
            "_INBOX.x",
        ] {
            assert!(!is_entry_reply(bad), "{bad}");
        }
    }

    /// Wildcards, extra tokens and other subjects name no target.
    #[test]
    fn foreign_subjects_name_no_target() {
        for s in [
            "session.",
            "session.a.b",
            "session.*",
            "other",
            "broadcast.x",
        ] {
            assert_eq!(Target::from_subject(s), None, "{s}");
        }
    }
}
