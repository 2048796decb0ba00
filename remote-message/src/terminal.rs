//! Untrusted text (message texts, user and host names from agents) made safe
//! to print on a terminal.

/// Text safe for a terminal: control characters (escape sequences could
/// rewrite the screen) are shown escaped, and overlong text is cut with a note.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (shown, c) in text.chars().enumerate() {
        if shown == max_chars {
            let rest = text.chars().count() - shown;
            out.push_str(&format!("… [{rest} more characters not shown]"));
            break;
        }
        if c == '\n' || c == '\t' || !c.is_control() {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Escape sequences and carriage returns are shown escaped; newlines and tabs stay.
    #[test]
    fn control_characters_are_escaped_newlines_and_tabs_kept() {
        assert_eq!(printable("a\u{1b}[2J\r\n\tb", 100), "a\\u{1b}[2J\\r\n\tb");
    }

    /// Text over the limit is cut, with a note of how much was left out.
    #[test]
    fn overlong_text_is_cut_with_a_note() {
        assert_eq!(
            printable("abcdef", 4),
            "abcd… [2 more characters not shown]"
        );
    }
}
