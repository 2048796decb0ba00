//! A send's [`Report`] for stdout: one JSON object (`--json`), or the lines
//! an operator reads.

use super::report::{join, Outcome, Report};

/// `--json`: the report as one line.
pub fn json(report: &Report) -> String {
    let mut line = serde_json::to_string(report).expect("a report serializes");
    line.push('\n');
    line
}

/// The human report: a line per message, then the totals when waiting.
pub fn text(report: &Report) -> String {
    let within = report.wait.map(|w| w.within).unwrap_or_default();
    let wait_for_read = report.wait.is_some_and(|w| w.for_read);
    let mut out = String::new();
    for m in &report.messages {
        let outcome = match m.outcome {
            None => String::new(),
            Some(Outcome::Delivered) if m.read == Some(true) => ": delivered, read".to_owned(),
            Some(Outcome::Delivered) => ": delivered".to_owned(),
            Some(Outcome::NotConnected) if report.stored => {
                ": not connected (stored: shown when that session comes back)".to_owned()
            }
            Some(Outcome::NotConnected) => ": not connected".to_owned(),
            Some(Outcome::NoConfirmation) => format!(
                ": no confirmation within {}",
                humantime::format_duration(within)
            ),
        };
        out.push_str(&format!("sent {} to {}{outcome}\n", m.id, m.subject));
    }
    if report.duplicate {
        out.push_str(
            "the stream had this send id already: agents that showed it will not show it again\n",
        );
    }
    if report.waited {
        out.push_str(&format!(
            "delivered to {} of {} sessions",
            report.delivered, report.expected
        ));
        if !report.missing.is_empty() {
            out.push_str(&format!("; missing: {}", join(&report.missing)));
        }
        out.push('\n');
        if !report.also_delivered.is_empty() {
            out.push_str(&format!(
                "also delivered to sessions that joined meanwhile: {}\n",
                join(&report.also_delivered)
            ));
        }
        if wait_for_read || !report.read.is_empty() {
            out.push_str(&format!(
                "read by {} of {} delivered",
                report.read.len(),
                report.delivered
            ));
            if !report.read_unsupported.is_empty() {
                out.push_str(&format!(
                    "; cannot report read: {}",
                    join(&report.read_unsupported)
                ));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::send::plan::Wait;
    use remote_message::SessionId;
    use std::time::Duration;

    fn id(s: &str) -> SessionId {
        s.parse().unwrap()
    }

    fn sent(session: &str, outcome: Outcome, read: bool) -> super::super::report::Sent {
        super::super::report::Sent {
            id: format!("s-{session}"),
            subject: format!("session.{session}"),
            outcome: Some(outcome),
            read: Some(read),
        }
    }

    fn report(wait: Wait) -> Report {
        Report {
            id: "s".into(),
            subjects: vec!["session.a".into(), "session.b".into(), "session.c".into()],
            messages: vec![
                sent("a", Outcome::Delivered, true),
                sent("b", Outcome::NotConnected, false),
                sent("c", Outcome::NoConfirmation, false),
            ],
            stored: true,
            duplicate: true,
            waited: true,
            expected: 3,
            delivered: 1,
            missing: vec![id("b"), id("c")],
            not_connected: vec![id("b")],
            also_delivered: vec![id("z")],
            read: vec![id("a")],
            read_unsupported: Vec::new(),
            wait: Some(wait),
        }
    }

    /// A waited session send with every outcome prints the lines operators
    /// and the end-to-end tests read, word for word.
    #[test]
    fn the_text_report_names_each_outcome() {
        let wait = Wait {
            within: Duration::from_secs(5),
            for_read: false,
        };
        assert_eq!(
            text(&report(wait)),
            "sent s-a to session.a: delivered, read\n\
             sent s-b to session.b: not connected (stored: shown when that session comes back)\n\
             sent s-c to session.c: no confirmation within 5s\n\
             the stream had this send id already: agents that showed it will not show it again\n\
             delivered to 1 of 3 sessions; missing: b, c\n\
             also delivered to sessions that joined meanwhile: z\n\
             read by 1 of 1 delivered\n"
        );
    }

    /// An explicit wait prints the read line even when nobody read, and
    /// names the displays that cannot tell.
    #[test]
    fn an_explicit_wait_always_reports_reads() {
        let mut r = report(Wait {
            within: Duration::from_secs(2),
            for_read: true,
        });
        r.read.clear();
        r.read_unsupported = vec![id("a")];
        assert!(text(&r).ends_with("read by 0 of 1 delivered; cannot report read: a\n"));
    }

    /// `--json` prints one line ending in a newline, and leaves the wait out.
    #[test]
    fn json_is_one_line() {
        let line = json(&report(Wait {
            within: Duration::from_secs(5),
            for_read: false,
        }));
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        assert!(!line.contains("within") && !line.contains("for_read"));
    }
}
