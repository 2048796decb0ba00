//! A send's [`Report`] for stdout: one JSON object (`--json`), or the lines
//! an operator reads, in the chosen language.

use super::report::{join, Outcome, Report};
use crate::error::{json_error, Error};
use crate::i18n::tr;
use remote_message_cli::exit::JsonError;
use remote_message_cli::lang::Lang;
use serde::Serialize;

/// `--json`'s object: the report, and the error it ends with, if any.
#[derive(Serialize)]
struct Printed<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError>,
}

/// `--json`: the report as one line; when the send fails on it (some
/// target did not confirm), with the error as `--json` prints every
/// failure, under `error`.
pub fn json(report: &Report, error: Option<&Error>) -> String {
    let printed = Printed {
        report,
        error: error.map(json_error),
    };
    let mut line = serde_json::to_string(&printed).expect("a report serializes");
    line.push('\n');
    line
}

/// The human report in `lang`: a line per message, then the totals when
/// waiting.
pub fn text(report: &Report, lang: Lang) -> String {
    let within = report.wait.map(|w| w.within).unwrap_or_default();
    let wait_for_read = report.wait.is_some_and(|w| w.for_read);
    let mut out = String::new();
    for m in &report.messages {
        let read = m.read == Some(true);
        let outcome = match (m.outcome, &m.shown) {
            (None, _) => String::new(),
            (Some(Outcome::Delivered), Some(ways)) => {
                let via = ways
                    .iter()
                    .map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                if read {
                    tr!(lang, "outcome-delivered-via-read", via = via)
                } else {
                    tr!(lang, "outcome-delivered-via", via = via)
                }
            }
            (Some(Outcome::Delivered), None) if read => tr!(lang, "outcome-delivered-read"),
            (Some(Outcome::Delivered), None) => tr!(lang, "outcome-delivered"),
            (Some(Outcome::NotConnected), _) if report.stored => {
                tr!(lang, "outcome-not-connected-stored")
            }
            (Some(Outcome::NotConnected), _) => tr!(lang, "outcome-not-connected"),
            (Some(Outcome::NoConfirmation), _) => tr!(
                lang,
                "outcome-no-confirmation",
                within = humantime::format_duration(within).to_string()
            ),
        };
        let line = tr!(
            lang,
            "sent-line",
            id = m.id.as_str(),
            subject = m.subject.as_str(),
            outcome = outcome
        );
        out.push_str(&line);
        out.push('\n');
    }
    if report.duplicate {
        out.push_str(&tr!(lang, "send-duplicate"));
        out.push('\n');
    }
    if report.waited {
        out.push_str(&tr!(
            lang,
            "send-delivered",
            delivered = report.delivered,
            expected = report.expected
        ));
        if !report.missing.is_empty() {
            out.push_str(&tr!(lang, "send-missing", sessions = join(&report.missing)));
        }
        out.push('\n');
        if !report.also_delivered.is_empty() {
            let sessions = join(&report.also_delivered);
            out.push_str(&tr!(lang, "send-also-delivered", sessions = sessions));
            out.push('\n');
        }
        if wait_for_read || !report.read.is_empty() {
            out.push_str(&tr!(
                lang,
                "send-read",
                read = report.read.len(),
                delivered = report.delivered
            ));
            if !report.read_unsupported.is_empty() {
                let sessions = join(&report.read_unsupported);
                out.push_str(&tr!(lang, "send-read-unsupported", sessions = sessions));
            }
            out.push('\n');
        }
    }
    if let Some(tally) = &report.tally {
        out.push_str(&crate::tally::answers_text(tally, lang));
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
            id: format!("s-{session}").into(),
            subject: format!("session.{session}"),
            outcome: Some(outcome),
            read: Some(read),
            shown: None,
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
            tally: None,
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
            text(&report(wait), Lang::En),
            "sent s-a to session.a: delivered, read\n\
             sent s-b to session.b: not connected (stored: shown when that session comes back)\n\
             sent s-c to session.c: no confirmation within 5s\n\
             the stream had this send id already: agents that showed it will not show it again\n\
             delivered to 1 of 3 sessions; missing: b, c\n\
             also delivered to sessions that joined meanwhile: z\n\
             read by 1 of 1 delivered\n"
        );
    }

    /// A delivered message whose receipt says how it was shown has it
    /// after `delivered`, the display first, in every language; one from
    /// an agent that does not say (an older one) reads as before.
    #[test]
    fn delivered_says_how_the_message_was_shown() {
        use remote_message::sessions::ShownVia;
        let mut r = report(Wait {
            within: Duration::from_secs(5),
            for_read: false,
        });
        r.messages[0].shown = Some(vec![ShownVia::Desktop]);
        r.messages[1] = sent("b", Outcome::Delivered, false);
        r.messages[1].shown = Some(vec![ShownVia::Terminal, ShownVia::Exec]);
        r.messages[2] = sent("c", Outcome::Delivered, false);
        let lines =
            |lang| -> Vec<String> { text(&r, lang).lines().take(3).map(str::to_owned).collect() };
        assert_eq!(
            lines(Lang::En),
            [
                "sent s-a to session.a: delivered (desktop), read",
                "sent s-b to session.b: delivered (terminal, exec)",
                "sent s-c to session.c: delivered",
            ]
        );
        assert_eq!(
            lines(Lang::Es),
            [
                "enviado s-a a session.a: entregado (desktop), leído",
                "enviado s-b a session.b: entregado (terminal, exec)",
                "enviado s-c a session.c: entregado",
            ]
        );
        assert_eq!(
            lines(Lang::Fr),
            [
                "envoyé s-a à session.a : remis (desktop), lu",
                "envoyé s-b à session.b : remis (terminal, exec)",
                "envoyé s-c à session.c : remis",
            ]
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
        assert!(text(&r, Lang::En).ends_with("read by 0 of 1 delivered; cannot report read: a\n"));
    }

    /// The same report in Spanish and French: every line translated, the
    /// ids, subjects, figures and session lists kept.
    #[test]
    fn the_text_report_in_spanish_and_french() {
        let wait = Wait {
            within: Duration::from_secs(5),
            for_read: false,
        };
        assert_eq!(
            text(&report(wait), Lang::Es),
            "enviado s-a a session.a: entregado, leído\n\
             enviado s-b a session.b: no conectada (guardado: se mostrará cuando esa sesión vuelva)\n\
             enviado s-c a session.c: sin confirmación en 5s\n\
             el stream ya tenía este id de envío: los agentes que lo mostraron no lo mostrarán de nuevo\n\
             entregado a 1 de 3 sesiones; faltan: b, c\n\
             también entregado a sesiones que se conectaron entretanto: z\n\
             leído por 1 de 1 entregado\n"
        );
        let french = text(&report(wait), Lang::Fr);
        assert!(
            french.starts_with("envoyé s-a à session.a : remis, lu\n"),
            "{french}"
        );
        assert!(
            french.contains("remis à 1 session sur 3 ; manquantes : b, c\n"),
            "{french}"
        );
    }

    /// `--json` prints one line ending in a newline, and leaves the wait out.
    #[test]
    fn json_is_one_line() {
        let line = json(
            &report(Wait {
                within: Duration::from_secs(5),
                for_read: false,
            }),
            None,
        );
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        assert!(!line.contains("within") && !line.contains("for_read"));
        assert!(!line.contains("\"error\""), "{line}");
    }

    /// A send some target did not confirm prints its report with the error
    /// (exit 4, `not_confirmed`) in the same one object, after the report's
    /// own fields.
    #[test]
    fn a_report_that_fails_carries_its_error() {
        let r = report(Wait {
            within: Duration::from_secs(5),
            for_read: false,
        });
        let error = r.confirmed().unwrap_err();
        let line = json(&r, Some(&error));
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(object["missing"], serde_json::json!(["b", "c"]));
        let error = r#","error":{"exit_code":4,"kind":"not_confirmed","message":"2 of 3 sessions did not confirm: b, c"}}"#;
        assert!(line.trim_end().ends_with(error), "{line}");
    }
}
