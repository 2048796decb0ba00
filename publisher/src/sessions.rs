//! `publisher sessions`: the live sessions as a table or JSON, only a
//! user's with `--user NAME` (the contract's [`is_user`], as `send --user`
//! picks them) and only the matching ones with `--where`
//! ([`where_filter::listed`], the set `send --where` targets).

use crate::error::Error;
use crate::i18n::{errors, tr};
use crate::link::Link;
use crate::where_filter;
use jiff::tz::TimeZone;
use remote_message::sessions::{self, SessionInfo, Where};
use remote_message::terminal::{printable, Lines};
use remote_message::user_name::is_user;
use remote_message::UserName;
use remote_message_cli::connection::ConnectionArgs;
use remote_message_cli::lang::Lang;

/// Prints the live sessions (only those of `users`, when some are named,
/// that meet `filter`) as a table, or as a JSON array when `json`.
pub async fn run(
    connection: &ConnectionArgs,
    users: &[String],
    filter: &Where,
    json: bool,
) -> Result<(), Error> {
    let link = Link::open(connection).await?;
    let mut live = sessions::discover(&link.client, link.list_wait())
        .await
        .map_err(|e| link.server_failure(&tr!(errors(), "failed-listing-sessions"), e))?;
    link.settle().await?;
    if !users.is_empty() {
        live.retain(|s| {
            let user = UserName::shown(s.user.as_ref());
            users.iter().any(|asked| is_user(user, asked))
        });
    }
    let live = where_filter::listed(filter, live);
    if json {
        println!(
            "{}",
            serde_json::to_string(&live).expect("sessions serialize")
        );
    } else {
        print!("{}", table(&live, crate::i18n::lang()));
    }
    Ok(())
}

/// `SESSION USER HOST SINCE VERSION` columns, then a count line, in `lang`.
/// What agents sent is shown through [`printable`] on one line, so an
/// entry is exactly one row, whatever it holds.
pub fn table(sessions: &[SessionInfo], lang: Lang) -> String {
    let rows: Vec<[String; 5]> = sessions
        .iter()
        .map(|s| {
            [
                printable(s.id.as_str(), 64, Lines::Escaped),
                printable(UserName::shown(s.user.as_ref()), 64, Lines::Escaped),
                printable(&s.host, 64, Lines::Escaped),
                s.since
                    .to_zoned(TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                printable(&s.version, 32, Lines::Escaped),
            ]
        })
        .collect();
    let header = [
        tr!(lang, "column-session"),
        tr!(lang, "column-user"),
        tr!(lang, "column-host"),
        tr!(lang, "column-since"),
        tr!(lang, "column-version"),
    ];
    let widths: Vec<usize> = (0..5)
        .map(|col| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&tr!(lang, "session-count", count = sessions.len()));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table has the column headers, a row per session, and a count
    /// line whose noun follows the language's plural rules.
    #[test]
    fn table_has_the_columns_rows_and_a_count() {
        let info = SessionInfo {
            id: "s1".parse().unwrap(),
            user: remote_message::UserName::parse("vanessa").ok(),
            host: "pc-12".into(),
            os: "linux".into(),
            version: "0.1.0".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: Default::default(),
            xkey: None,
        };
        let out = table(std::slice::from_ref(&info), Lang::En);
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("SESSION  USER     HOST   SINCE"),
            "{out}"
        );
        assert!(lines[1].starts_with("s1       vanessa  pc-12  "), "{out}");
        assert_eq!(lines[2], "1 session");
        assert_eq!(
            table(&[], Lang::En),
            "SESSION  USER  HOST  SINCE  VERSION\n0 sessions\n"
        );
        // French counts 0 and 1 as one, Spanish 0 as many.
        let count_line = |lang, sessions: &[SessionInfo]| {
            table(sessions, lang).lines().last().unwrap().to_owned()
        };
        assert_eq!(count_line(Lang::Fr, &[]), "0 session");
        assert_eq!(
            count_line(Lang::Fr, std::slice::from_ref(&info)),
            "1 session"
        );
        assert_eq!(count_line(Lang::Es, &[]), "0 sesiones");
        assert_eq!(
            count_line(Lang::Es, std::slice::from_ref(&info)),
            "1 sesión"
        );
        let mut other = info.clone();
        other.id = "s2".parse().unwrap();
        assert_eq!(count_line(Lang::Fr, &[info, other]), "2 sessions");
    }

    /// An entry whose user, host and version hold line breaks, a bidi
    /// override and a zero-width space (a forged row among them) is one
    /// row, every such character shown escaped.
    #[test]
    fn an_entry_cannot_forge_a_row() {
        let info = SessionInfo {
            id: "s1".parse().unwrap(),
            user: remote_message::UserName::parse("eve\u{202E}nimda").ok(),
            host: "pc\nadmin    ops-1  2026-11-22 08:00:00  0.1.0".into(),
            os: "linux".into(),
            version: "0.1.0\u{2028}x\u{200B}\r\t".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: Default::default(),
            xkey: None,
        };
        let out = table(&[info], Lang::En);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(
            lines[1].starts_with(
                "s1       eve\\u{202e}nimda  pc\\nadmin    ops-1  2026-11-22 08:00:00  0.1.0  "
            ),
            "{out}"
        );
        assert!(
            lines[1].ends_with("  0.1.0\\u{2028}x\\u{200b}\\r\\t"),
            "{out}"
        );
        for c in ['\u{202E}', '\u{2028}', '\u{200B}', '\r', '\t'] {
            assert!(!out.contains(c), "{c:?} in {out:?}");
        }
        assert_eq!(lines[2], "1 session");
    }
}
