//! The two subjects of the wire contract and the target each one names.
//!
//! Every agent subscribes to [`BROADCAST`] and to its own `session.<id>`;
//! the publisher sends to one or the other.

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
