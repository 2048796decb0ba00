//! How strongly a message asks for the user's attention: `publisher send
//! --priority`, carried in the payload's optional `priority` field, and
//! turned by the agent into a desktop notification's urgency.
//!
//! Absent means normal, and so does any value an agent does not know, so an
//! older or foreign client never makes a message unshowable.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The priority of a message, lowest first.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Shown quietly, without sound.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Stands out and stays longer, then goes away by itself.
    High,
    /// Stays on screen until the user dismisses it (where the desktop lets it:
    /// on macOS the user's alert style decides). Each OS's mapping:
    /// `subscriber/src/notify/request.rs`.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first (the order `--priority` lists them in).
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// What the priority does on a user's screen (the help of each value).
    pub fn describe(self) -> &'static str {
        match self {
            Priority::Low => "Shown quietly, without sound",
            Priority::Normal => "The default",
            Priority::High => "Stands out and stays longer, then goes away by itself",
            Priority::Urgent => {
                "Stays on screen until the user dismisses it (where the desktop lets it)"
            }
        }
    }

    /// The word on the wire: `low`, `normal`, `high` or `urgent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Reads the payload's `priority`; `None` for a value that is not one of
    /// the four words (case and surrounding blanks do not matter).
    pub fn from_wire(raw: &str) -> Option<Priority> {
        let raw = raw.trim();
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(raw))
    }
}

/// A word that is not exactly one of `low`, `normal`, `high`, `urgent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a priority: one of low, normal, high, urgent")]
pub struct UnknownPriority(pub String);

/// Exactly the wire word, as typed on a command line (unlike the lenient
/// [`Priority::from_wire`], which reads what any client sent).
impl FromStr for Priority {
    type Err = UnknownPriority;
    fn from_str(s: &str) -> Result<Priority, UnknownPriority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPriority(s.to_owned()))
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each priority's word reads back (leniently on the wire, exactly from a command
    /// line) and serialises as itself; other words are no priority.
    #[test]
    fn wire_words_round_trip_and_unknown_ones_are_none() {
        for p in Priority::ALL {
            assert_eq!(Priority::from_wire(p.as_str()), Some(p));
            assert_eq!(p.as_str().parse(), Ok(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Priority::from_wire(" URGENT "), Some(Priority::Urgent));
        assert_eq!(Priority::from_wire("critical"), None);
        assert_eq!(Priority::default(), Priority::Normal);
        assert!("URGENT".parse::<Priority>().is_err());
        assert!(" low".parse::<Priority>().is_err());
    }
}
