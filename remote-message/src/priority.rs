//! How strongly a message asks for the user's attention: `publisher send
//! --priority`, carried in the payload's optional `priority` field, and
//! turned by the agent into a desktop notification's urgency.
//!
//! Absent means normal, and so does any value an agent does not know, so an
//! older or foreign client never makes a message unshowable.

use serde::{Deserialize, Serialize};

/// The priority of a message, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Shown quietly (desktop urgency low)
    Low,
    /// The default (desktop urgency normal)
    #[default]
    Normal,
    /// Stands out (desktop urgency critical; goes away by itself)
    High,
    /// Stays on screen until the user dismisses it (desktop urgency critical)
    Urgent,
}

impl Priority {
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
        [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(raw))
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

    #[test]
    fn wire_words_round_trip_and_unknown_ones_are_none() {
        for p in [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ] {
            assert_eq!(Priority::from_wire(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert_eq!(Priority::from_wire(" URGENT "), Some(Priority::Urgent));
        assert_eq!(Priority::from_wire("critical"), None);
        assert_eq!(Priority::default(), Priority::Normal);
    }
}
