//! What became of one send at each session, from the ledger's rows: the one
//! place that turns rows into per-session states, counts the answers and
//! names who has not been delivered, read or answered, in JSON and in the
//! operator's language. `publisher status`, `send --answer --wait` and
//! `recall --wait` all report through it. Pure: the rows come from
//! [`crate::ledger`].

use crate::i18n::tr;
use jiff::{Timestamp, Unit};
use remote_message::answer::Answers;
use remote_message::ledger::{AnsweredVia, LedgerEvent, SendRecord, Step, Targeted};
use remote_message::sessions::ShownVia;
use remote_message::{SessionId, UserName};
use remote_message_cli::lang::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// When a session showed the message, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shown: Vec<ShownVia>,
}

/// A step that only has a time (read, expired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct At {
    pub at: Timestamp,
}

/// An answer a session gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answered {
    pub answer: String,
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<AnsweredVia>,
}

/// A session's recall row: whether it had shown the message before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recalled {
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<bool>,
}

/// What became of the send at one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionState {
    pub session: SessionId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserName>,
    /// Whether the send was meant for it (false: a session the record did
    /// not list, e.g. one that joined after a broadcast listed the others).
    pub targeted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<Delivered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<At>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<Answered>,
    /// Answers that are none of the labels offered: shown, never counted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_answers: Vec<Answered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recalled: Option<Recalled>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<At>,
}

impl SessionState {
    fn new(session: SessionId, user: Option<UserName>, targeted: bool) -> SessionState {
        SessionState {
            session,
            user,
            targeted,
            delivered: None,
            read: None,
            answered: None,
            invalid_answers: Vec::new(),
            recalled: None,
            expired: None,
        }
    }

    /// Whether nothing more is awaited from it: answered when the send
    /// asks, else read; or taken down (recalled, expired).
    fn settled(&self, asks: bool) -> bool {
        let done = if asks {
            self.answered.is_some()
        } else {
            self.read.is_some()
        };
        done || self.recalled.is_some() || self.expired.is_some()
    }
}

/// What a row changed, for `--follow` and `--wait`, which print rows as
/// they come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new step for that session.
    New,
    /// An answer that is none of the labels offered.
    Invalid,
    /// Nothing: a step it had already, or one this publisher does not know.
    Nothing,
}

/// One label and how many sessions chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

/// Every session's state of one send.
#[derive(Debug, Clone)]
pub struct Tally {
    answers: Answers,
    /// A broadcast that listed nobody: whoever writes a row was targeted.
    everyone: bool,
    sessions: BTreeMap<SessionId, SessionState>,
}

/// A tally serializes as its [`Summary`].
impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.summary().serialize(serializer)
    }
}

/// The tally as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// How many sessions the send targeted (as far as it knows).
    pub targets: usize,
    pub delivered: usize,
    pub read: usize,
    pub answered: usize,
    /// Each label offered, in order, with its count (empty: asks nothing).
    pub answers: Vec<Count>,
    pub sessions: Vec<SessionState>,
    pub not_delivered: Vec<SessionId>,
    pub not_read: Vec<SessionId>,
    /// Only when the send offers answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_answered: Option<Vec<SessionId>>,
    /// Sessions that sent an answer not offered.
    pub invalid: Vec<SessionId>,
}

impl Tally {
    /// A tally expecting `targets` (`None`: anyone who writes a row), with
    /// `answers` offered.
    pub fn new(answers: Answers, targets: Option<&[Targeted]>) -> Tally {
        let sessions = targets
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let state = SessionState::new(t.session.clone(), t.user.clone(), true);
                (t.session.clone(), state)
            })
            .collect();
        Tally {
            answers,
            everyone: targets.is_none(),
            sessions,
        }
    }

    /// The tally a send record announces (no record: anyone, no answers).
    pub fn of_record(record: Option<&SendRecord>) -> Tally {
        match record {
            Some(record) => Tally::new(record.answers.clone(), record.sessions.as_deref()),
            None => Tally::new(Answers::default(), None),
        }
    }

    /// Whether the send offers answers.
    pub fn asks(&self) -> bool {
        !self.answers.is_empty()
    }

    /// Counts `row` (already checked by `ledger::event_from`).
    pub fn add(&mut self, row: LedgerEvent) -> Change {
        let everyone = self.everyone;
        let state = self
            .sessions
            .entry(row.session.clone())
            .or_insert_with(|| SessionState::new(row.session.clone(), None, everyone));
        match row.event {
            Step::Delivered => first(
                &mut state.delivered,
                Delivered {
                    at: row.at,
                    shown: row.shown,
                },
            ),
            Step::Read => first(&mut state.read, At { at: row.at }),
            Step::Answered => {
                let answered = Answered {
                    answer: row.answer.unwrap_or_default(),
                    at: row.at,
                    via: row.via,
                };
                if self.answers.contains(&answered.answer) {
                    first(&mut state.answered, answered)
                } else {
                    state.invalid_answers.push(answered);
                    Change::Invalid
                }
            }
            Step::Recalled => first(
                &mut state.recalled,
                Recalled {
                    at: row.at,
                    seen: row.seen,
                },
            ),
            Step::Expired => first(&mut state.expired, At { at: row.at }),
            Step::Unknown => Change::Nothing,
        }
    }

    /// One session's state.
    pub fn session(&self, session: &SessionId) -> Option<&SessionState> {
        self.sessions.get(session)
    }

    fn targeted(&self) -> impl Iterator<Item = &SessionState> {
        self.sessions.values().filter(|s| s.targeted)
    }

    /// Whether every targeted session answered (when the send asks), else
    /// read, or was taken down. A broadcast that listed nobody is never
    /// settled: anyone may still write.
    pub fn settled(&self) -> bool {
        !self.everyone && self.targeted().all(|s| s.settled(self.asks()))
    }

    /// Whether every session in `sessions` wrote a `recalled` (or
    /// `expired`) row.
    pub fn all_recalled<'a>(&self, mut sessions: impl Iterator<Item = &'a SessionId>) -> bool {
        sessions.all(|id| {
            self.sessions
                .get(id)
                .is_some_and(|s| s.recalled.is_some() || s.expired.is_some())
        })
    }

    /// The sessions a recall waits for: the targeted ones that showed it
    /// or may still, that is all targeted ones not yet taken down.
    pub fn targets(&self) -> Vec<SessionId> {
        self.targeted().map(|s| s.session.clone()).collect()
    }

    /// The counts and lists, for `--json` and the text.
    pub fn summary(&self) -> Summary {
        let targeted: Vec<&SessionState> = self.targeted().collect();
        let missing = |has: fn(&SessionState) -> bool| -> Vec<SessionId> {
            targeted
                .iter()
                .filter(|s| !has(s))
                .map(|s| s.session.clone())
                .collect()
        };
        let answers = self
            .answers
            .iter()
            .map(|label| Count {
                label: label.to_owned(),
                count: targeted
                    .iter()
                    .filter(|s| s.answered.as_ref().is_some_and(|a| a.answer == label))
                    .count(),
            })
            .collect();
        let not_delivered = missing(|s| s.delivered.is_some());
        // Who answered has read it (the agent says so to a waiting send too).
        let not_read = missing(|s| s.read.is_some() || s.answered.is_some());
        let not_answered = self.asks().then(|| missing(|s| s.answered.is_some()));
        Summary {
            targets: targeted.len(),
            delivered: targeted.len() - not_delivered.len(),
            read: targeted.len() - not_read.len(),
            answered: targeted.iter().filter(|s| s.answered.is_some()).count(),
            answers,
            sessions: self.sessions.values().cloned().collect(),
            not_delivered,
            not_read,
            not_answered,
            invalid: self
                .sessions
                .values()
                .filter(|s| !s.invalid_answers.is_empty())
                .map(|s| s.session.clone())
                .collect(),
        }
    }
}

/// Keeps a session's first row of a step (a repeated row, e.g. a second
/// answer, changes nothing).
fn first<T>(slot: &mut Option<T>, value: T) -> Change {
    if slot.is_some() {
        return Change::Nothing;
    }
    *slot = Some(value);
    Change::New
}

/// A time as the text shows it: to the second, UTC.
fn when(at: Timestamp) -> String {
    at.round(Unit::Second).unwrap_or(at).to_string()
}

/// Sessions a "not yet" line names; the rest are counted (over thousands
/// of sessions the line stays readable; `--json` lists them all).
const NAMED: usize = 20;

/// Session ids as `a, b, c`, the first [`NAMED`], then how many more.
fn join(ids: &[SessionId], lang: Lang) -> String {
    let mut named = ids
        .iter()
        .take(NAMED)
        .map(SessionId::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let more: usize = ids.len().saturating_sub(NAMED);
    if more > 0 {
        named.push_str(&tr!(lang, "unfinished-more", more = more));
    }
    named
}

/// One session's line: `bob (vanessa): delivered … (desktop), read …, answered "Yes" … (terminal)`.
pub fn session_line(state: &SessionState, lang: Lang) -> String {
    let mut steps = Vec::new();
    if let Some(d) = &state.delivered {
        steps.push(if d.shown.is_empty() {
            tr!(lang, "tally-delivered", at = when(d.at))
        } else {
            let via = d.shown.iter().map(|w| w.as_str()).collect::<Vec<_>>();
            tr!(
                lang,
                "tally-delivered-via",
                at = when(d.at),
                via = via.join(", ")
            )
        });
    }
    if let Some(r) = &state.read {
        steps.push(tr!(lang, "tally-read", at = when(r.at)));
    }
    if let Some(a) = &state.answered {
        steps.push(tr!(
            lang,
            "tally-answered",
            answer = format!("{:?}", a.answer),
            at = when(a.at)
        ));
    }
    for a in &state.invalid_answers {
        steps.push(tr!(
            lang,
            "tally-invalid-answer",
            answer = format!("{:?}", a.answer),
            at = when(a.at)
        ));
    }
    if let Some(r) = &state.recalled {
        steps.push(match r.seen {
            Some(true) => tr!(lang, "tally-recalled-seen", at = when(r.at)),
            Some(false) => tr!(lang, "tally-recalled-unseen", at = when(r.at)),
            None => tr!(lang, "tally-recalled", at = when(r.at)),
        });
    }
    if let Some(e) = &state.expired {
        steps.push(tr!(lang, "tally-expired", at = when(e.at)));
    }
    if steps.is_empty() {
        steps.push(tr!(lang, "tally-nothing"));
    }
    let who = match &state.user {
        Some(user) => format!("{} ({user})", state.session),
        None => state.session.to_string(),
    };
    let untargeted = if state.targeted {
        String::new()
    } else {
        tr!(lang, "tally-not-targeted")
    };
    format!("{who}{untargeted}: {}\n", steps.join(", "))
}

/// What `send --answer … --wait` adds to its report: the answers only.
/// Whether each target got and read the message are its receipts, which
/// the report holds already; the ledger's `delivered` rows trail the wait
/// (agents spread them over a second), so counting them here would only
/// say less than the receipts.
#[derive(Debug, Serialize)]
pub struct AnswerSummary {
    pub targets: usize,
    pub answered: usize,
    pub answers: Vec<Count>,
    pub not_answered: Vec<SessionId>,
    pub invalid: Vec<SessionId>,
    /// Who answered what (the sessions with an answer, valid or not).
    pub sessions: Vec<SessionState>,
}

impl Tally {
    /// The answers part of [`Tally::summary`].
    pub fn answer_summary(&self) -> AnswerSummary {
        let summary = self.summary();
        AnswerSummary {
            targets: summary.targets,
            answered: summary.answered,
            answers: summary.answers,
            not_answered: summary.not_answered.unwrap_or_default(),
            invalid: summary.invalid,
            sessions: summary
                .sessions
                .into_iter()
                .filter(|s| s.answered.is_some() || !s.invalid_answers.is_empty())
                .map(|s| SessionState {
                    delivered: None,
                    read: None,
                    ..s
                })
                .collect(),
        }
    }
}

/// Serializes a send's tally as its [`AnswerSummary`].
pub fn serialize_answers<S: serde::Serializer>(
    tally: &Option<Tally>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    tally
        .as_ref()
        .map(Tally::answer_summary)
        .serialize(serializer)
}

/// The answers of a send, as `send --answer … --wait` prints them: a line
/// per session that answered, the counts, who has not answered, and who
/// answered something not offered.
pub fn answers_text(tally: &Tally, lang: Lang) -> String {
    let summary = tally.answer_summary();
    let mut out: String = summary
        .sessions
        .iter()
        .map(|s| session_line(s, lang))
        .collect();
    out.push_str(&counts_line(&summary.answers, lang));
    let mut line = tr!(
        lang,
        "tally-answered-total",
        done = summary.answered,
        targets = summary.targets
    );
    if !summary.not_answered.is_empty() {
        line.push_str(&tr!(
            lang,
            "tally-not-yet",
            sessions = join(&summary.not_answered, lang)
        ));
    }
    out.push_str(&line);
    out.push('\n');
    out.push_str(&invalid_line(&summary.invalid, lang));
    out
}

/// `answers: "Restart now" 2, "In 1 hour" 1`, a line.
fn counts_line(answers: &[Count], lang: Lang) -> String {
    let counts = answers
        .iter()
        .map(|c| format!("{:?} {}", c.label, c.count))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{}\n", tr!(lang, "tally-counts", counts = counts))
}

/// Who answered something not offered, a line; nothing when nobody did.
fn invalid_line(invalid: &[SessionId], lang: Lang) -> String {
    if invalid.is_empty() {
        return String::new();
    }
    format!(
        "{}\n",
        tr!(lang, "tally-invalid", sessions = join(invalid, lang))
    )
}

/// The text: a line per session, then [`totals`].
pub fn text(tally: &Tally, lang: Lang) -> String {
    let mut out: String = tally
        .sessions
        .values()
        .map(|s| session_line(s, lang))
        .collect();
    out.push_str(&totals(tally, lang));
    out
}

/// The answer counts, and who has not been delivered, read or answered.
pub fn totals(tally: &Tally, lang: Lang) -> String {
    let summary = tally.summary();
    let mut out = String::new();
    if !summary.answers.is_empty() {
        out.push_str(&counts_line(&summary.answers, lang));
    }
    // A total's line, then who is missing from it.
    let mut total = |mut line: String, missing: &[SessionId]| {
        if !missing.is_empty() {
            line.push_str(&tr!(lang, "tally-not-yet", sessions = join(missing, lang)));
        }
        out.push_str(&line);
        out.push('\n');
    };
    let targets = summary.targets;
    let done = summary.delivered;
    total(
        tr!(
            lang,
            "tally-delivered-total",
            done = done,
            targets = targets
        ),
        &summary.not_delivered,
    );
    let done = summary.read;
    total(
        tr!(lang, "tally-read-total", done = done, targets = targets),
        &summary.not_read,
    );
    if let Some(not_answered) = &summary.not_answered {
        let done = summary.answered;
        total(
            tr!(lang, "tally-answered-total", done = done, targets = targets),
            not_answered,
        );
    }
    out.push_str(&invalid_line(&summary.invalid, lang));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::ledger::LedgerEvent;

    fn id(s: &str) -> SessionId {
        s.parse().unwrap()
    }

    fn row(step: Step, session: &str, at: &str) -> LedgerEvent {
        let mut row = LedgerEvent::new(step, format!("s1-{session}").into(), id(session));
        row.at = at.parse().unwrap();
        row
    }

    fn answer(session: &str, label: &str) -> LedgerEvent {
        let mut row = row(Step::Answered, session, "2026-12-07T10:00:05Z");
        row.answer = Some(label.into());
        row.via = Some(AnsweredVia::Terminal);
        row
    }

    fn targets(ids: &[&str]) -> Vec<Targeted> {
        ids.iter()
            .map(|s| Targeted {
                session: id(s),
                user: None,
            })
            .collect()
    }

    fn asking(ids: &[&str]) -> Tally {
        let answers = Answers::parse(&["Yes", "No"]).unwrap();
        Tally::new(answers, Some(&targets(ids)))
    }

    /// Three targets: two answer (one twice: the first counts), one says
    /// nothing; the counts go per label in the offered order, and the
    /// silent one is named as not delivered, read or answered.
    #[test]
    fn answers_are_counted_per_label_and_the_silent_named() {
        let mut tally = asking(&["a", "b", "c"]);
        assert_eq!(
            tally.add(row(Step::Delivered, "a", "2026-12-07T10:00:01Z")),
            Change::New
        );
        assert_eq!(tally.add(answer("a", "No")), Change::New);
        assert_eq!(tally.add(answer("a", "Yes")), Change::Nothing);
        tally.add(answer("b", "No"));
        let summary = tally.summary();
        assert_eq!(
            summary.answers,
            [
                Count {
                    label: "Yes".into(),
                    count: 0
                },
                Count {
                    label: "No".into(),
                    count: 2
                }
            ]
        );
        assert_eq!(
            (summary.targets, summary.delivered, summary.answered),
            (3, 1, 2)
        );
        assert_eq!(summary.not_answered, Some(vec![id("c")]));
        assert_eq!(summary.not_delivered, [id("b"), id("c")]);
        assert!(!tally.settled());
        tally.add(row(Step::Expired, "c", "2026-12-07T10:10:00Z"));
        assert!(tally.settled(), "an expired message awaits nothing more");
    }

    /// An answer that is none of the labels (a different case included)
    /// is kept as invalid, never counted, and named.
    #[test]
    fn an_answer_not_offered_is_invalid() {
        let mut tally = asking(&["a"]);
        assert_eq!(tally.add(answer("a", "Maybe")), Change::Invalid);
        assert_eq!(tally.add(answer("a", "yes")), Change::Invalid);
        let summary = tally.summary();
        assert_eq!(summary.answered, 0);
        assert_eq!(summary.invalid, [id("a")]);
        let text = text(&tally, Lang::En);
        assert!(
            text.contains("answered \"Maybe\" at 2026-12-07T10:00:05Z (not offered, not counted)"),
            "{text}"
        );
        assert!(
            text.ends_with("answers not offered (not counted) from: a\n"),
            "{text}"
        );
    }

    /// A broadcast that listed nobody: whoever writes a row is a target,
    /// and it is never settled; a listed one names who has not answered.
    #[test]
    fn a_broadcast_without_a_list_counts_every_writer() {
        let mut tally = Tally::new(Answers::parse(&["Ok"]).unwrap(), None);
        tally.add(answer("z", "Ok"));
        assert_eq!(tally.summary().targets, 1);
        assert!(!tally.settled());
        let mut listed = asking(&["a"]);
        listed.add(answer("late", "Yes"));
        let summary = listed.summary();
        assert_eq!((summary.targets, summary.answered), (1, 0));
        assert!(!listed.session(&id("late")).unwrap().targeted);
    }

    /// The text: a line per session with each step and its time, then the
    /// counts and who has not; word for word, as docs/publisher.md shows.
    #[test]
    fn the_text_names_each_step_and_who_has_not() {
        let mut tally = asking(&["a", "b"]);
        let mut delivered = row(Step::Delivered, "a", "2026-12-07T10:00:01.400Z");
        delivered.shown = vec![ShownVia::Desktop];
        tally.add(delivered);
        tally.add(row(Step::Read, "a", "2026-12-07T10:00:04Z"));
        tally.add(answer("a", "Yes"));
        assert_eq!(
            text(&tally, Lang::En),
            "a: delivered at 2026-12-07T10:00:01Z (desktop), read at 2026-12-07T10:00:04Z, answered \"Yes\" at 2026-12-07T10:00:05Z\n\
             b: nothing yet\n\
             answers: \"Yes\" 1, \"No\" 0\n\
             delivered to 1 of 2; not yet: b\n\
             read by 1 of 2; not yet: b\n\
             answered by 1 of 2; not yet: b\n"
        );
        for lang in [Lang::Es, Lang::Fr] {
            assert!(text(&tally, lang).contains("\"Yes\" 1"), "{lang:?}");
        }
    }

    /// Over many sessions a "not yet" line names the first 20 and counts
    /// the rest.
    #[test]
    fn long_lists_are_cut() {
        let many: Vec<String> = (0..25).map(|i| format!("s{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let text = text(&asking(&many), Lang::En);
        assert!(text.contains("s18, s19 and 5 more\n"), "{text}");
    }

    /// `--json`: the counts, each session's steps, and the lists.
    #[test]
    fn the_summary_as_json() {
        let mut tally = asking(&["a"]);
        tally.add(answer("a", "Yes"));
        let json = serde_json::to_value(tally.summary()).unwrap();
        assert_eq!(
            json["answers"][0],
            serde_json::json!({"label":"Yes","count":1})
        );
        assert_eq!(
            json["sessions"][0]["answered"],
            serde_json::json!({"answer":"Yes","at":"2026-12-07T10:00:05Z","via":"terminal"})
        );
        assert_eq!(json["not_answered"], serde_json::json!([]));
        assert_eq!(json["not_delivered"], serde_json::json!(["a"]));
    }
}
