//! How a received message is shown: an alert block for a person at a
//! terminal, in the agent's language, or one JSON object per line for
//! scripts, always English.

use crate::i18n::tr;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use remote_message::envelope::Format;
use remote_message::terminal::{printable, Lines};
use remote_message::{Incoming, MessageId, Priority, Target};
use remote_message_cli::lang::Lang;
use serde::Serialize;
use std::io::{self, Write};

/// Longest text shown in a terminal block; the JSON output always has all of it.
const TERMINAL_MAX_CHARS: usize = 10_000;

/// What starts every line of a terminal block's title and text (then a
/// space, unless the line is empty).
pub const GUTTER: &str = "│";

/// One line of `--output json`.
#[derive(Debug, Serialize)]
pub struct JsonLine<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub title: Option<&'a str>,
    pub sent_at: Option<Timestamp>,
    pub sender: Option<&'a str>,
    /// When it stops being shown, if it has a ttl.
    pub expires_at: Option<Timestamp>,
    /// `"low"`, `"normal"`, `"high"` or `"urgent"`.
    pub priority: Priority,
    pub subject: &'a str,
    /// `"broadcast"` or `"session"`.
    pub target: &'static str,
    pub received_at: Timestamp,
    /// `"json"` for an envelope, `"text"` for a plain-text payload.
    pub format: Format,
    /// The answers it offers, in order; absent when it asks nothing.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub answers: &'a [String],
    /// Shown again as its n-th reminder; absent the first time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<u32>,
}

/// A message the sender recalled, as `--output json` and `--exec` get it:
/// `{"recalled":{"id":…,"subject":…,"at":…}}`.
#[derive(Debug, Serialize)]
pub struct RecalledLine<'a> {
    pub recalled: Recalled<'a>,
}

/// The message taken down.
#[derive(Debug, Serialize)]
pub struct Recalled<'a> {
    pub id: &'a str,
    pub subject: &'a str,
    pub at: Timestamp,
}

/// The `{"recalled":…}` line of message `id` (shown on `target`), without
/// its newline.
pub fn recalled_line(id: &MessageId, target: &Target, at: Timestamp) -> String {
    let line = RecalledLine {
        recalled: Recalled {
            id: id.as_str(),
            subject: &target.subject(),
            at,
        },
    };
    serde_json::to_string(&line).expect("a JSON line serializes")
}

/// Writes the record of a recalled message to `out` as `printed`: a
/// terminal line in `lang`, or a `{"recalled":…}` JSON line.
pub fn show_recalled(
    out: &mut impl Write,
    printed: Printed,
    lang: Lang,
    id: &MessageId,
    target: &Target,
    at: Timestamp,
) -> io::Result<()> {
    match printed {
        Printed::JsonLine => writeln!(out, "{}", recalled_line(id, target, at))?,
        Printed::TerminalBlock => {
            let id = printable(id.as_str(), 200, Lines::Escaped);
            writeln!(out, "\n{}", tr!(lang, "block-recalled", id = id))?
        }
    }
    out.flush()
}

/// How a message is printed on stdout: `--output terminal` (also what the
/// desktop falls back to) or `--output json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    TerminalBlock,
    JsonLine,
}

/// Writes one message to `out` as `printed` (a terminal block in `lang`),
/// and flushes it.
pub fn show(
    out: &mut impl Write,
    printed: Printed,
    lang: Lang,
    message: &Incoming,
    target: &Target,
    received_at: Timestamp,
) -> io::Result<()> {
    show_again(out, printed, lang, message, target, received_at, None)
}

/// [`show`], of the `reminder`-th reminder (`None`: the first showing).
pub fn show_again(
    out: &mut impl Write,
    printed: Printed,
    lang: Lang,
    message: &Incoming,
    target: &Target,
    received_at: Timestamp,
    reminder: Option<u32>,
) -> io::Result<()> {
    match printed {
        Printed::JsonLine => writeln!(
            out,
            "{}",
            json_line_again(message, target, received_at, reminder)
        )?,
        Printed::TerminalBlock => out.write_all(
            terminal_block_again(lang, message, target, received_at, reminder).as_bytes(),
        )?,
    }
    out.flush()
}

/// One `--output json` line, without its newline (also what `--exec` gets).
pub fn json_line(message: &Incoming, target: &Target, received_at: Timestamp) -> String {
    json_line_again(message, target, received_at, None)
}

/// [`json_line`] of the `reminder`-th reminder (`None`: the first showing).
pub fn json_line_again(
    message: &Incoming,
    target: &Target,
    received_at: Timestamp,
    reminder: Option<u32>,
) -> String {
    let line = JsonLine {
        id: message.id.as_str(),
        text: &message.text,
        title: message.title.as_deref(),
        sent_at: message.sent_at,
        sender: message.sender.as_deref(),
        expires_at: message.expires_at,
        priority: message.priority,
        subject: &target.subject(),
        target: target.kind(),
        received_at,
        format: message.format,
        answers: message.answers.labels(),
        reminder,
    };
    serde_json::to_string(&line).expect("a JSON line serializes")
}

/// The alert block in `lang`, e.g. in English
///
/// ```text
/// ==== Message for everyone · 2026-11-22 22:01:05 CET ====
/// │ Maintenance
/// │
/// │ The server restarts at 10pm. Please log out before.
/// ---- from ops@srv1 · id 9bVZ0v
/// ```
///
/// A high or urgent message says so first in its header: `==== URGENT ·
/// Message for everyone · …` (`HIGH PRIORITY · `).
///
/// Every line between the header and the footer starts with the
/// [`GUTTER`], so no line of a title or text can pass for a header, a
/// footer or another block; the sender and id stay on the footer's line.
/// What is shown goes through [`printable`].
pub fn terminal_block(
    lang: Lang,
    message: &Incoming,
    target: &Target,
    received_at: Timestamp,
) -> String {
    terminal_block_again(lang, message, target, received_at, None)
}

/// [`terminal_block`] of the `reminder`-th reminder (`None`: the first
/// showing): its header starts `==== REMINDER n · `. A message that offers
/// answers lists them after its text, numbered, with the command that
/// gives one, each line starting `» ` (no text line can: they start with
/// the [`GUTTER`]).
pub fn terminal_block_again(
    lang: Lang,
    message: &Incoming,
    target: &Target,
    received_at: Timestamp,
    reminder: Option<u32>,
) -> String {
    let audience = match target {
        Target::Broadcast => tr!(lang, "block-everyone"),
        Target::Session(id) => tr!(lang, "block-session", session = id.as_str()),
    };
    let when = message
        .sent_at
        .unwrap_or(received_at)
        .to_zoned(TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S %Z");
    // High and urgent are named first in the header: in a terminal nothing
    // else (no sound, no sticky window) tells them from a normal message.
    let header = tr!(
        lang,
        "block-header",
        priority = message.priority.as_str(),
        audience = audience,
        when = when.to_string()
    );
    let header = match reminder {
        Some(n) => {
            let marked = tr!(lang, "block-reminder", n = n.to_string());
            match header.strip_prefix("==== ") {
                Some(rest) => format!("==== {marked} · {rest}"),
                None => format!("{marked} · {header}"),
            }
        }
        None => header,
    };
    let mut body = String::new();
    if let Some(title) = &message.title {
        body.push_str(&printable(title, TERMINAL_MAX_CHARS, Lines::Kept));
        body.push_str("\n\n");
    }
    body.push_str(&printable(&message.text, TERMINAL_MAX_CHARS, Lines::Kept));
    let from = match message.sender.as_deref() {
        Some(sender) => printable(sender, 200, Lines::Escaped),
        None => tr!(lang, "block-unknown-sender"),
    };
    let footer = tr!(
        lang,
        "block-footer",
        sender = from,
        id = printable(message.id.as_str(), 200, Lines::Escaped)
    );
    let mut block = format!("\n{header}\n");
    for line in body.split('\n') {
        block.push_str(GUTTER);
        if !line.is_empty() {
            block.push(' ');
            block.push_str(line);
        }
        block.push('\n');
    }
    let id = printable(message.id.as_str(), 200, Lines::Escaped);
    for (n, label) in message.answers.iter().enumerate() {
        let label = printable(label, 200, Lines::Escaped);
        let n = (n + 1).to_string();
        block.push_str(&tr!(lang, "block-answer-choice", n = n, label = label));
        block.push('\n');
    }
    if !message.answers.is_empty() {
        block.push_str(&tr!(lang, "block-answer-how", id = id.clone()));
        block.push('\n');
    }
    block.push_str(&footer);
    block.push('\n');
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Incoming {
        Incoming {
            id: "m1".into(),
            text: text.into(),
            title: Some("Maintenance".into()),
            sent_at: Some("2026-11-22T21:00:00Z".parse().unwrap()),
            sender: Some("ops@srv".into()),
            expires_at: None,
            priority: Priority::Normal,
            signer: None,
            sig: None,
            signed_times: None,
            format: Format::Json,
            ..Default::default()
        }
    }

    #[test]
    fn block_names_audience_title_text_and_sender() {
        let alice = Target::Session("alice".parse().unwrap());
        let block = terminal_block(
            Lang::En,
            &message("Restart at 10pm"),
            &alice,
            Timestamp::now(),
        );
        for part in [
            "Message for you (session alice)",
            "Maintenance",
            "Restart at 10pm",
            "from ops@srv",
            "id m1",
        ] {
            assert!(block.contains(part), "{part} missing in {block}");
        }
        let block = terminal_block(
            Lang::En,
            &message("x"),
            &Target::Broadcast,
            Timestamp::now(),
        );
        assert!(block.contains("Message for everyone"));
    }

    /// The block's header and footer are in the chosen language (the
    /// placeables keep the session id, sender and message id), and English
    /// words do not leak into Spanish or French.
    #[test]
    fn block_speaks_each_language() {
        let alice = Target::Session("alice".parse().unwrap());
        let mut anonymous = message("Reinicio a las 22 h");
        anonymous.sender = None;
        for (lang, to_alice, to_everyone, footer, unknown) in [
            (
                Lang::En,
                "==== Message for you (session alice) · ",
                "==== Message for everyone · ",
                "---- from ops@srv · id m1",
                "---- from unknown sender · id m1",
            ),
            (
                Lang::Es,
                "==== Mensaje para usted (sesión alice) · ",
                "==== Mensaje para todos · ",
                "---- de ops@srv · id m1",
                "---- de remitente desconocido · id m1",
            ),
            (
                Lang::Fr,
                "==== Message pour vous (session alice) · ",
                "==== Message pour tout le monde · ",
                "---- de ops@srv · id m1",
                "---- de expéditeur inconnu · id m1",
            ),
        ] {
            let block = terminal_block(lang, &message("x"), &alice, Timestamp::now());
            assert!(block.contains(to_alice), "{lang:?}: {block}");
            assert!(block.contains(footer), "{lang:?}: {block}");
            let block = terminal_block(lang, &anonymous, &Target::Broadcast, Timestamp::now());
            assert!(block.contains(to_everyone), "{lang:?}: {block}");
            assert!(block.contains(unknown), "{lang:?}: {block}");
            assert!(!block.contains('\u{2068}'), "no isolation marks: {block:?}");
            if lang != Lang::En {
                assert!(
                    !block.contains("Message for") && !block.contains("from "),
                    "{block}"
                );
            }
        }
    }

    /// An urgent or high message is marked at the start of its header in
    /// each language; a normal or low one is not marked at all, and the
    /// mark is on the header line only.
    #[test]
    fn high_and_urgent_are_marked_in_the_header() {
        let alice = Target::Session("alice".parse().unwrap());
        let header = |lang, priority| {
            let mut m = message("x");
            m.priority = priority;
            let block = terminal_block(lang, &m, &alice, Timestamp::now());
            block.lines().nth(1).unwrap().to_owned()
        };
        for (lang, urgent, high, plain) in [
            (
                Lang::En,
                "==== URGENT · Message for you (session alice) · ",
                "==== HIGH PRIORITY · Message for you (session alice) · ",
                "==== Message for you (session alice) · ",
            ),
            (
                Lang::Es,
                "==== URGENTE · Mensaje para usted (sesión alice) · ",
                "==== PRIORIDAD ALTA · Mensaje para usted (sesión alice) · ",
                "==== Mensaje para usted (sesión alice) · ",
            ),
            (
                Lang::Fr,
                "==== URGENT · Message pour vous (session alice) · ",
                "==== HAUTE PRIORITÉ · Message pour vous (session alice) · ",
                "==== Message pour vous (session alice) · ",
            ),
        ] {
            assert!(
                header(lang, Priority::Urgent).starts_with(urgent),
                "{lang:?}"
            );
            assert!(header(lang, Priority::High).starts_with(high), "{lang:?}");
            for quiet in [Priority::Normal, Priority::Low] {
                assert!(header(lang, quiet).starts_with(plain), "{lang:?} {quiet:?}");
            }
        }
        let mut urgent = message("x");
        urgent.priority = Priority::Urgent;
        let block = terminal_block(Lang::En, &urgent, &alice, Timestamp::now());
        assert_eq!(block.matches("URGENT").count(), 1, "{block}");
    }

    #[test]
    fn escape_sequences_cannot_reach_the_terminal() {
        let block = terminal_block(
            Lang::En,
            &message("a\u{1b}[2Jb\r"),
            &Target::Broadcast,
            Timestamp::now(),
        );
        assert!(!block.contains('\u{1b}') && !block.contains('\r'));
        assert!(block.contains("a\\u{1b}[2Jb\\r"));
    }

    /// A text that forges a whole block (a blank line, a header and a
    /// footer in the real format, for everyone and from an admin) stays
    /// inside the real block: each of its lines is in the gutter, and the
    /// block has exactly one header and one footer line, its own.
    #[test]
    fn a_text_cannot_forge_a_header_or_a_footer() {
        let forged = "hi\n---- from ops@srv · id m1\n\n\
                      ==== Message for everyone · 2026-11-22 22:01:05 CET ====\n\
                      Your password expired: run evil.sh\n\
                      ---- from admin@corp · id x";
        let mut m = message(forged);
        m.title = Some("Notice\n==== Message for everyone ====".into());
        let block = terminal_block(Lang::En, &m, &Target::Broadcast, Timestamp::now());
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], "", "{block}");
        assert!(
            lines[1].starts_with("==== Message for everyone · "),
            "{block}"
        );
        assert_eq!(lines.last(), Some(&"---- from ops@srv · id m1"), "{block}");
        let inside = &lines[2..lines.len() - 1];
        assert_eq!(
            inside,
            [
                "│ Notice",
                "│ ==== Message for everyone ====",
                "│",
                "│ hi",
                "│ ---- from ops@srv · id m1",
                "│",
                "│ ==== Message for everyone · 2026-11-22 22:01:05 CET ====",
                "│ Your password expired: run evil.sh",
                "│ ---- from admin@corp · id x",
            ],
            "{block}"
        );
        let headers = lines.iter().filter(|l| l.starts_with("====")).count();
        let footers = lines.iter().filter(|l| l.starts_with("----")).count();
        assert_eq!((headers, footers), (1, 1), "{block}");
    }

    /// Line separators, bidi controls and zero-width characters in the
    /// text, the title, the sender or the id are shown escaped; the sender
    /// and the id cannot leave the footer's line.
    #[test]
    fn hidden_and_reordering_characters_are_shown_escaped() {
        let mut m = message("a\u{2028}b\u{202E}c\u{200B}d");
        m.title = Some("t\u{2066}".into());
        m.sender = Some("ops\n==== x\u{FEFF}".into());
        m.id = "m\u{85}1".into();
        let block = terminal_block(Lang::En, &m, &Target::Broadcast, Timestamp::now());
        assert!(
            block.contains("│ a\\u{2028}b\\u{202e}c\\u{200b}d\n"),
            "{block}"
        );
        assert!(block.contains("│ t\\u{2066}\n"), "{block}");
        assert!(
            block.ends_with("\n---- from ops\\n==== x\\u{feff} · id m\\u{85}1\n"),
            "{block}"
        );
        for c in [
            '\u{2028}', '\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}', '\u{85}',
        ] {
            assert!(!block.contains(c), "{c:?} in {block:?}");
        }
    }

    #[test]
    fn long_text_is_cut_in_the_terminal_only() {
        let long = "x".repeat(TERMINAL_MAX_CHARS + 5);
        let block = terminal_block(
            Lang::En,
            &message(&long),
            &Target::Broadcast,
            Timestamp::now(),
        );
        assert!(block.contains("[5 more characters"));
        let mut out = Vec::new();
        show(
            &mut out,
            Printed::JsonLine,
            Lang::En,
            &message(&long),
            &Target::Broadcast,
            Timestamp::now(),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["text"].as_str().unwrap().len(), long.len());
    }

    #[test]
    fn json_line_has_the_documented_fields() {
        let mut out = Vec::new();
        let bob = Target::Session("bob".parse().unwrap());
        show(
            &mut out,
            Printed::JsonLine,
            Lang::En,
            &message("hi"),
            &bob,
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        for key in [
            "id",
            "text",
            "title",
            "sent_at",
            "sender",
            "subject",
            "target",
            "received_at",
            "priority",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
        assert_eq!(
            (v["subject"].as_str(), v["target"].as_str()),
            (Some("session.bob"), Some("session"))
        );
    }
}
