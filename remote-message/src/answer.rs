//! The answers a message offers (`publisher send --answer LABEL`): the one
//! rule for a label, and how a user's reply (a label or its number) picks one.
//!
//! Labels become buttons on every desktop and words typed back at a
//! terminal, so they are short, printable and distinct: the publisher
//! refuses a bad list before sending, an agent keeps the good labels of
//! whatever it receives.

use serde::{Deserialize, Serialize};

/// At most this many answers per message (a toast shows five buttons).
pub const MAX_ANSWERS: usize = 5;

/// At most this many characters per label.
pub const MAX_LABEL_CHARS: usize = 64;

/// The answers of one message: 1 to [`MAX_ANSWERS`] labels, each valid and
/// no two equal ignoring case. Empty means the message asks nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(Vec<String>);

/// Why a list of `--answer` labels cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAnswer {
    #[error("--answer is empty: give each answer some text, e.g. --answer \"Restart now\"")]
    Blank,
    #[error("--answer {0:?} is longer than {MAX_LABEL_CHARS} characters: shorten it")]
    TooLong(String),
    #[error(
        "--answer {0:?} holds a control character (a line break, a tab…): use one line of text"
    )]
    ControlCharacter(String),
    #[error(
        "--answer {0:?} is given twice (answers are compared ignoring case): give distinct answers"
    )]
    Repeated(String),
    #[error("{0} answers given, at most {MAX_ANSWERS} are allowed: drop some --answer")]
    TooMany(usize),
}

impl Answers {
    /// Checks the labels ops gave, trimmed, in order.
    pub fn parse<S: AsRef<str>>(labels: &[S]) -> Result<Answers, InvalidAnswer> {
        if labels.len() > MAX_ANSWERS {
            return Err(InvalidAnswer::TooMany(labels.len()));
        }
        let mut kept: Vec<String> = Vec::with_capacity(labels.len());
        for raw in labels {
            let label = check_label(raw.as_ref())?;
            if kept.iter().any(|k| same_label(k, &label)) {
                return Err(InvalidAnswer::Repeated(label));
            }
            kept.push(label);
        }
        Ok(Answers(kept))
    }

    /// What an agent keeps of a received list: the valid, distinct labels,
    /// at most [`MAX_ANSWERS`], in order. Never fails.
    pub fn lenient<S: AsRef<str>>(labels: impl IntoIterator<Item = S>) -> Answers {
        let mut kept: Vec<String> = Vec::new();
        for raw in labels {
            if kept.len() == MAX_ANSWERS {
                break;
            }
            if let Ok(label) = check_label(raw.as_ref()) {
                if !kept.iter().any(|k| same_label(k, &label)) {
                    kept.push(label);
                }
            }
        }
        Answers(kept)
    }

    /// The label a reply names: a label (ignoring case and surrounding
    /// white space) or its number, counted from 1.
    pub fn resolve(&self, reply: &str) -> Option<&str> {
        let reply = reply.trim();
        if let Some(label) = self.0.iter().find(|l| same_label(l, reply)) {
            return Some(label);
        }
        let number: usize = reply.parse().ok()?;
        self.0.get(number.checked_sub(1)?).map(String::as_str)
    }

    /// Whether `label` is one of these answers, exactly as the agent sends it.
    pub fn contains(&self, label: &str) -> bool {
        self.0.iter().any(|l| l == label)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn labels(&self) -> &[String] {
        &self.0
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// The one rule for a label: trimmed, 1 to [`MAX_LABEL_CHARS`] characters,
/// no control character.
fn check_label(raw: &str) -> Result<String, InvalidAnswer> {
    let label = raw.trim();
    if label.is_empty() {
        return Err(InvalidAnswer::Blank);
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(InvalidAnswer::TooLong(label.to_owned()));
    }
    if label.chars().any(char::is_control) {
        return Err(InvalidAnswer::ControlCharacter(label.to_owned()));
    }
    Ok(label.to_owned())
}

fn same_label(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ops' labels are trimmed and kept in order; every bad list is refused
    /// with the reason.
    #[test]
    fn ops_labels_follow_the_rule() {
        let ok = Answers::parse(&[" Restart now ", "In 1 hour"]).unwrap();
        assert_eq!(ok.labels(), ["Restart now", "In 1 hour"]);
        assert_eq!(Answers::parse(&["  "]), Err(InvalidAnswer::Blank));
        assert_eq!(
            Answers::parse(&["a\nb"]),
            Err(InvalidAnswer::ControlCharacter("a\nb".into()))
        );
        assert_eq!(
            Answers::parse(&["Yes", "yes"]),
            Err(InvalidAnswer::Repeated("yes".into()))
        );
        let long = "é".repeat(MAX_LABEL_CHARS + 1);
        assert_eq!(
            Answers::parse(&[long.as_str()]),
            Err(InvalidAnswer::TooLong(long.clone()))
        );
        assert!(Answers::parse(&["é".repeat(MAX_LABEL_CHARS)]).is_ok());
        assert_eq!(
            Answers::parse(&["1", "2", "3", "4", "5", "6"]),
            Err(InvalidAnswer::TooMany(6))
        );
    }

    /// An agent keeps what it can of any list, at most five.
    #[test]
    fn agents_keep_the_valid_labels() {
        let kept = Answers::lenient(["", "Yes", "YES", "a\u{7}", "No", "3", "4", "5", "6"]);
        assert_eq!(kept.labels(), ["Yes", "No", "3", "4", "5"]);
    }

    /// A reply picks by label (any case) or by number from 1.
    #[test]
    fn replies_pick_by_label_or_number() {
        let answers = Answers::parse(&["Restart now", "In 1 hour"]).unwrap();
        assert_eq!(answers.resolve("restart NOW"), Some("Restart now"));
        assert_eq!(answers.resolve(" 2 "), Some("In 1 hour"));
        assert_eq!(answers.resolve("0"), None);
        assert_eq!(answers.resolve("3"), None);
        assert_eq!(answers.resolve("later"), None);
        let numeric = Answers::parse(&["2", "1"]).unwrap();
        assert_eq!(
            numeric.resolve("1"),
            Some("1"),
            "a label wins over a number"
        );
    }
}
