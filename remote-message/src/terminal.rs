//! Untrusted text (message texts, titles and senders; user, host and other
//! names from agents) made safe to show: the one place that decides which
//! characters are shown escaped, so nothing a message or a session carries
//! can rewrite the screen, start a line of its own, or reorder what is
//! printed around it. The terminal block, the session table, the
//! publisher's errors and the desktop notifications all show text through
//! [`printable`]; JSON outputs keep the raw text (JSON escapes it).

/// What becomes of the line breaks in untrusted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// `\n` and tabs kept: a message's text or title, shown where a line it
    /// starts cannot pass for anything else (inside the terminal block's
    /// gutter, in a notification).
    Kept,
    /// Everything on one line, `\n` and tabs escaped too: a table cell, a
    /// name in a sentence, a field of the block's header or footer.
    Escaped,
}

/// Text safe to show: every character [`is_escaped`] is shown as its Rust
/// escape (`\u{1b}`, `\r`, `\u{202e}`, …), and text over `max_chars`
/// characters is cut with a note of how much was left out.
pub fn printable(text: &str, max_chars: usize, lines: Lines) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (shown, c) in text.chars().enumerate() {
        if shown == max_chars {
            let rest = text.chars().count() - shown;
            out.push_str(&format!("… [{rest} more characters not shown]"));
            break;
        }
        if is_escaped(c, lines) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether [`printable`] shows `c` escaped:
/// - control characters (C0, DEL, C1): escape sequences rewrite the screen,
///   `\r` overwrites a line, NEL (U+0085) starts one on some terminals;
///   `\n` and tabs only when lines are [`Lines::Escaped`];
/// - the line and paragraph separators U+2028 and U+2029: new lines to
///   some terminals and viewers;
/// - bidirectional controls (U+202A–202E embeddings and overrides,
///   U+2066–2069 isolates, U+200E/200F and U+061C marks): they reorder what
///   follows them, so a cell or a line could read as another;
/// - zero-width characters (U+200B–200D, U+2060, U+FEFF): invisible, so two
///   names that look the same could differ.
pub fn is_escaped(c: char, lines: Lines) -> bool {
    match c {
        '\n' | '\t' => lines == Lines::Escaped,
        '\u{2028}' | '\u{2029}' => true,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        '\u{200E}' | '\u{200F}' | '\u{061C}' => true,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => true,
        c => c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escape sequences, carriage returns, DEL and the C1 controls (NEL
    /// among them) are shown escaped; with lines kept, newlines and tabs
    /// stay.
    #[test]
    fn control_characters_are_escaped_newlines_and_tabs_kept() {
        assert_eq!(
            printable("a\u{1b}[2J\r\n\tb\u{7f}\u{85}\u{9b}", 100, Lines::Kept),
            "a\\u{1b}[2J\\r\n\tb\\u{7f}\\u{85}\\u{9b}"
        );
    }

    /// On one line, newlines and tabs are escaped as well: the result has
    /// no line break of any kind.
    #[test]
    fn one_line_escapes_newlines_and_tabs() {
        let shown = printable("pc-1\nfake  row\r\n\tx", 100, Lines::Escaped);
        assert_eq!(shown, "pc-1\\nfake  row\\r\\n\\tx");
        assert_eq!(shown.lines().count(), 1);
    }

    /// U+2028, U+2029 (and NEL, a control) are line breaks to some
    /// terminals: escaped whether lines are kept or not.
    #[test]
    fn line_and_paragraph_separators_are_escaped() {
        for lines in [Lines::Kept, Lines::Escaped] {
            assert_eq!(
                printable("a\u{2028}b\u{2029}c\u{85}d", 100, lines),
                "a\\u{2028}b\\u{2029}c\\u{85}d",
                "{lines:?}"
            );
        }
    }

    /// Every bidirectional control (embeddings, overrides, isolates and
    /// the implicit marks) is shown escaped, with or without lines.
    #[test]
    fn bidi_controls_are_escaped() {
        let bidi = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ];
        for lines in [Lines::Kept, Lines::Escaped] {
            for c in bidi {
                let shown = printable(&format!("x{c}y"), 100, lines);
                assert_eq!(shown, format!("x\\u{{{:x}}}y", c as u32), "{lines:?}");
            }
        }
        assert_eq!(
            printable("invoice\u{202E}fdp.exe", 100, Lines::Escaped),
            "invoice\\u{202e}fdp.exe"
        );
    }

    /// Zero-width characters (spaces, joiners, word joiner, BOM) are shown
    /// escaped, with or without lines.
    #[test]
    fn zero_width_characters_are_escaped() {
        for lines in [Lines::Kept, Lines::Escaped] {
            for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
                let shown = printable(&format!("ad{c}min"), 100, lines);
                assert_eq!(shown, format!("ad\\u{{{:x}}}min", c as u32), "{lines:?}");
            }
        }
    }

    /// Ordinary text, accents, other scripts and emoji pass unchanged, and
    /// so does a backslash.
    #[test]
    fn ordinary_text_is_unchanged() {
        let text = "Zoë Dupont · 東京 · مرحبا · שלום · ☕ \\n";
        assert_eq!(printable(text, 100, Lines::Escaped), text);
        assert_eq!(printable(text, 100, Lines::Kept), text);
    }

    /// Text over the limit is cut, with a note of how much was left out.
    #[test]
    fn overlong_text_is_cut_with_a_note() {
        assert_eq!(
            printable("abcdef", 4, Lines::Kept),
            "abcd… [2 more characters not shown]"
        );
    }
}
