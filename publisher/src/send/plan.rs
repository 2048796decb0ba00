//! The pure half of a send: from what was asked ([`Request`]) and what was
//! looked up on the server ([`Lookups`]), every message exactly as it goes on
//! the wire and who must confirm it ([`Plan`]), or the reason nothing is sent.
//! No network or file access here, so each rule is unit-tested below; the
//! bench plans its messages through the same function.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use async_nats::HeaderMap;
use bytes::Bytes;
use nkeys::KeyPair;
use remote_message::answer::Answers;
use remote_message::envelope::{
    wire_size, Envelope, InvalidText, MSG_ID_HEADER, RECEIPT_TO_HEADER,
};
use remote_message::ledger::{SendRecord, SendTarget, Targeted};
use remote_message::sessions::SessionInfo;
use remote_message::terminal::{printable, Lines};
use remote_message::{sealing, MessageId, Priority, SendId, SessionId, Target, UserName};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

/// How long a send waits for receipts when `--wait` has no duration, and
/// how long a session send waits by default.
pub const DEFAULT_RECEIPT_WAIT: Duration = Duration::from_secs(5);

/// One send as asked: the command line's `publisher send`, once its
/// defaults are filled in (sender, id) and its files read (text, key).
#[derive(Debug)]
pub struct Request {
    pub text: String,
    pub title: Option<String>,
    /// Who the message is from.
    pub sender: String,
    pub priority: Option<Priority>,
    /// Agents no longer show it this long after it was sent.
    pub ttl: Option<Duration>,
    /// Id of this send; the message id of a broadcast, the prefix of each
    /// session message's id.
    pub id: SendId,
    /// Named sessions, in the order given (repeats allowed).
    pub sessions: Vec<SessionId>,
    /// Users whose every live session is a target.
    pub users: Vec<String>,
    /// Encrypt each session message to its agent's key.
    pub seal: bool,
    pub sign_key: Option<KeyPair>,
    pub wait: WaitPolicy,
    /// What the message asks of its readers: answers, reminders.
    pub asks: Asks,
}

/// What a send asks of its readers beyond reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asks {
    /// `--answer`: the labels offered (checked); empty asks nothing.
    pub answers: Answers,
    /// `--remind`: show it again this often until read or answered.
    pub remind: Option<Duration>,
}

/// Whether and how long to wait for receipts, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitPolicy {
    /// Nothing said: a session send waits [`DEFAULT_RECEIPT_WAIT`] for
    /// deliveries; a broadcast does not wait.
    Default,
    /// `--no-wait`.
    Never,
    /// `--wait[=DUR]`: wait up to this long, for read receipts too.
    Within(Duration),
}

/// How a planned send waits for receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub within: Duration,
    /// Also wait for the read receipts of displays that can send them (an
    /// explicit `--wait`); otherwise the wait ends once every expected
    /// session is accounted for.
    pub for_read: bool,
}

/// What must be looked up on the server before [`plan`] can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The live session list: to resolve `--user`, to find `--seal` keys,
    /// or to know whom a waiting broadcast expects.
    pub live_sessions: bool,
}

/// What was looked up on the server for [`plan`].
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    /// The live sessions, when [`Needs::live_sessions`]; else empty.
    pub live: Vec<SessionInfo>,
    /// The server's `max_payload`: no message may be larger on the wire.
    pub max_payload: usize,
    /// The `Receipt-To` value (`receipt.<token>`), used when the send waits;
    /// agents answer on `<receipt_inbox>.<id>`.
    pub receipt_inbox: String,
}

/// A message ready for the wire.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub target: Target,
    pub id: MessageId,
    pub headers: HeaderMap,
    pub payload: Bytes,
    /// Its size as the server counts it against `max_payload`.
    pub wire_size: usize,
}

/// A send ready to dispatch: nothing in it can be refused by the publisher.
#[derive(Debug)]
pub struct Plan {
    /// Id of this send.
    pub id: SendId,
    /// One per target, in target order.
    pub messages: Vec<Outgoing>,
    pub wait: Option<Wait>,
    /// Who must confirm, and the id of the message each must confirm: the
    /// targets of a session send, or the sessions live before a broadcast.
    pub expected: BTreeMap<SessionId, MessageId>,
    /// Ask each expected session's presence subject, so that a session
    /// nobody holds is known at once (session sends only).
    pub check_presence: bool,
    /// The `Receipt-To` value (`receipt.<token>`), when waiting.
    pub receipt_inbox: Option<String>,
    /// What the ledger keeps of this send (`sends.<id>.sent`): the text,
    /// the answers offered, and whom it targeted (the session targets, or
    /// the sessions listed before a broadcast, when it listed them).
    pub record: SendRecord,
}

/// A [`Request`] that passed every check that needs no server
/// ([`Request::check`]): what to look up, and the one envelope every
/// target's message copies.
#[derive(Debug)]
pub struct Checked<'a> {
    request: &'a Request,
    envelope: Envelope,
    pub needs: Needs,
}

impl Request {
    /// A broadcast: no session and no user named.
    pub fn is_broadcast(&self) -> bool {
        self.sessions.is_empty() && self.users.is_empty()
    }

    /// The wait this request resolves to.
    pub fn wait(&self) -> Option<Wait> {
        match self.wait {
            WaitPolicy::Never => None,
            WaitPolicy::Within(within) => Some(Wait {
                within,
                for_read: true,
            }),
            WaitPolicy::Default if self.is_broadcast() => None,
            WaitPolicy::Default => Some(Wait {
                within: DEFAULT_RECEIPT_WAIT,
                for_read: false,
            }),
        }
    }

    /// The checks that need no server, made before connecting: then what
    /// must be looked up, and the send's envelope, built (and its text
    /// and title checked) once for every target.
    pub fn check(&self) -> Result<Checked<'_>, Error> {
        if self.seal && self.is_broadcast() {
            return Err(ErrorKind::Usage.error(tr!(errors(), "seal-broadcast")));
        }
        let envelope = self.envelope()?;
        Ok(Checked {
            request: self,
            envelope,
            needs: Needs {
                live_sessions: !self.users.is_empty()
                    || self.seal
                    || (self.is_broadcast()
                        && (self.wait().is_some() || !self.asks.answers.is_empty())),
            },
        })
    }

    /// The envelope of this send, stamped now, under the send id.
    fn envelope(&self) -> Result<Envelope, Error> {
        let envelope = Envelope::with_id(
            self.id.message_id(&Target::Broadcast),
            self.text.clone(),
            self.title.clone(),
            Some(self.sender.clone()),
        )
        .map_err(|e| {
            let message = match e {
                InvalidText::EmptyText => tr!(errors(), "text-empty"),
                InvalidText::EmptyTitle => tr!(errors(), "title-empty"),
            };
            ErrorKind::Usage.error(message).caused_by(e)
        })?
        .with_priority(self.priority)
        .with_answers(self.asks.answers.clone());
        let envelope = match self.ttl {
            Some(ttl) => envelope.expiring_after(ttl),
            None => envelope,
        };
        // After the ttl: a reminder without one expires by default.
        Ok(match self.asks.remind {
            Some(every) => envelope.reminding_every(every),
            None => envelope,
        })
    }
}

/// Every `--user` is a name, not blank: checked by whoever builds the
/// [`Request`] (the command line, before it loads the signing key, so the
/// first mistake on it is the one reported).
pub fn check_users(users: &[String]) -> Result<(), Error> {
    match users.iter().find(|u| u.trim().is_empty()) {
        Some(user) => {
            Err(ErrorKind::Usage.error(tr!(errors(), "user-empty", user = format!("{user:?}"))))
        }
        None => Ok(()),
    }
}

/// [`Request::check`], then [`Checked::plan`].
pub fn plan(request: &Request, lookups: Lookups) -> Result<Plan, Error> {
    request.check()?.plan(lookups)
}

impl Checked<'_> {
    /// Resolves the targets and builds every message, or refuses the whole
    /// send: a `--user` without a live session, a session `--seal` cannot
    /// encrypt to, a message over the server's size limit.
    pub fn plan(self, lookups: Lookups) -> Result<Plan, Error> {
        let request = self.request;
        let Lookups {
            live,
            max_payload,
            receipt_inbox,
        } = lookups;
        let targets = targets(&resolve_sessions(request, &live)?);
        let seal_keys = if request.seal {
            seal_keys(&targets, &live)?
        } else {
            BTreeMap::new()
        };
        let wait = request.wait();
        let receipt_inbox = wait.map(|_| receipt_inbox);
        let messages = targets
            .iter()
            .map(|target| self.build(target, &seal_keys, receipt_inbox.as_deref()))
            .collect::<Result<Vec<_>, Error>>()?;
        if let Some(too_big) = messages.iter().find(|m| m.wire_size > max_payload) {
            return Err(ErrorKind::Usage.error(tr!(
                errors(),
                "message-too-big",
                size = too_big.wire_size,
                max = max_payload
            )));
        }
        let broadcast = targets == [Target::Broadcast];
        let record = SendRecord {
            send: request.id.clone(),
            sent_at: self.envelope.sent_at,
            sender: self.envelope.sender.clone(),
            title: self.envelope.title.clone(),
            text: request.text.clone(),
            answers: request.asks.answers.clone(),
            remind_every: self.envelope.remind_every,
            expires_at: self.envelope.expires_at,
            target: if broadcast {
                SendTarget::Broadcast
            } else {
                SendTarget::Sessions
            },
            sessions: targeted(&targets, &live, self.needs.live_sessions),
        };
        let expected = match wait {
            None => BTreeMap::new(),
            Some(_) if broadcast => live
                .into_iter()
                .map(|s| (s.id, request.id.message_id(&Target::Broadcast)))
                .collect(),
            Some(_) => messages
                .iter()
                .filter_map(|m| match &m.target {
                    Target::Session(id) => Some((id.clone(), m.id.clone())),
                    Target::Broadcast => None,
                })
                .collect(),
        };
        Ok(Plan {
            id: request.id.clone(),
            messages,
            wait,
            expected,
            check_presence: !broadcast,
            receipt_inbox,
            record,
        })
    }

    /// One target's message: its id, the send's envelope under that id
    /// (signed when asked), sealed when its key is known, with its headers.
    fn build(
        &self,
        target: &Target,
        seal_keys: &BTreeMap<SessionId, String>,
        receipt_to: Option<&str>,
    ) -> Result<Outgoing, Error> {
        let request = self.request;
        let id = request.id.message_id(target);
        let subject = target.subject();
        let mut envelope = Envelope {
            id: id.clone(),
            ..self.envelope.clone()
        };
        if let Some(key) = &request.sign_key {
            envelope.sign(key, &subject);
        }
        let mut payload = envelope.to_payload();
        if let Target::Session(session) = target {
            if let Some(key) = seal_keys.get(session) {
                payload = sealing::seal(&id, &payload, key).map_err(|e| {
                    Error::with_context(
                        ErrorKind::CannotSeal,
                        tr!(
                            errors(),
                            "seal-failed",
                            session = session.to_string(),
                            cause = e.to_string()
                        ),
                    )
                    .caused_by(e)
                })?;
            }
        }
        let mut pairs = vec![(MSG_ID_HEADER, id.as_str())];
        pairs.extend(receipt_to.map(|inbox| (RECEIPT_TO_HEADER, inbox)));
        let mut headers = HeaderMap::new();
        for (name, value) in &pairs {
            headers.insert(*name, *value);
        }
        Ok(Outgoing {
            wire_size: wire_size(&pairs, payload.len()),
            target: target.clone(),
            id,
            headers,
            payload: payload.into(),
        })
    }
}

/// The named sessions, then every live session of each `--user` (its case
/// aside, [`crate::sessions::is_user`]).
fn resolve_sessions(request: &Request, live: &[SessionInfo]) -> Result<Vec<SessionId>, Error> {
    let mut ids = request.sessions.clone();
    for user in &request.users {
        let theirs: Vec<_> = live
            .iter()
            .filter(|s| crate::sessions::is_user(UserName::shown(s.user.as_ref()), user))
            .collect();
        if theirs.is_empty() {
            let known: BTreeSet<&str> = live
                .iter()
                .map(|s| UserName::shown(s.user.as_ref()))
                .collect();
            let known = if known.is_empty() {
                tr!(errors(), "no-live-users")
            } else {
                // Agents chose these names: one line each, nothing hidden.
                known
                    .into_iter()
                    .map(|user| printable(user, 64, Lines::Escaped))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::with_context(
                ErrorKind::NoSession,
                tr!(
                    errors(),
                    "no-session-for-user",
                    user = format!("{user:?}"),
                    known = known
                ),
            ));
        }
        ids.extend(theirs.into_iter().map(|s| s.id.clone()));
    }
    Ok(ids)
}

/// Broadcast when no session is named; else each named session once, in order.
fn targets(sessions: &[SessionId]) -> Vec<Target> {
    if sessions.is_empty() {
        return vec![Target::Broadcast];
    }
    let mut seen = HashSet::new();
    sessions
        .iter()
        .filter(|s| seen.insert(*s))
        .map(|s| Target::Session(s.clone()))
        .collect()
}

/// Whom the send record names: each session target (its user when the
/// listing knew it), or on a broadcast every session `listed` found.
fn targeted(targets: &[Target], live: &[SessionInfo], listed: bool) -> Option<Vec<Targeted>> {
    let user_of = |id: &SessionId| {
        live.iter()
            .find(|s| &s.id == id)
            .and_then(|s| s.user.clone())
    };
    if targets == [Target::Broadcast] {
        return listed.then(|| {
            live.iter()
                .map(|s| Targeted {
                    session: s.id.clone(),
                    user: s.user.clone(),
                })
                .collect()
        });
    }
    Some(
        targets
            .iter()
            .filter_map(|t| match t {
                Target::Session(id) => Some(Targeted {
                    session: id.clone(),
                    user: user_of(id),
                }),
                Target::Broadcast => None,
            })
            .collect(),
    )
}

/// `--seal`: the key of every session target, or nothing is sent.
fn seal_keys(
    targets: &[Target],
    live: &[SessionInfo],
) -> Result<BTreeMap<SessionId, String>, Error> {
    let cannot = |message: String| Error::with_context(ErrorKind::CannotSeal, message);
    let mut keys = BTreeMap::new();
    for target in targets {
        let Target::Session(id) = target else {
            continue;
        };
        let info = live
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| cannot(tr!(errors(), "seal-not-live", session = id.to_string())))?;
        let key = info
            .xkey
            .as_ref()
            .map(|key| key.as_str().to_owned())
            .ok_or_else(|| cannot(tr!(errors(), "seal-no-key", session = id.to_string())))?;
        keys.insert(id.clone(), key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> SessionId {
        s.parse().unwrap()
    }

    fn request() -> Request {
        Request {
            text: "hello".into(),
            title: None,
            sender: "ops@host".into(),
            priority: None,
            ttl: None,
            id: SendId::parse("send1").unwrap(),
            sessions: Vec::new(),
            users: Vec::new(),
            seal: false,
            sign_key: None,
            wait: WaitPolicy::Default,
            asks: Asks::default(),
        }
    }

    fn session(session: &str, user: &str, xkey: Option<&str>) -> SessionInfo {
        SessionInfo {
            id: id(session),
            // "": no user.
            user: (!user.is_empty()).then(|| UserName::parse(user).unwrap()),
            host: "pc".into(),
            os: "linux".into(),
            version: "0.1.0".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: Default::default(),
            xkey: xkey.and_then(remote_message::SealingKey::parse),
        }
    }

    fn lookups(live: Vec<SessionInfo>) -> Lookups {
        Lookups {
            live,
            max_payload: 1024 * 1024,
            receipt_inbox: "receipt.r".into(),
        }
    }

    fn subjects(plan: &Plan) -> Vec<String> {
        plan.messages.iter().map(|m| m.target.subject()).collect()
    }

    /// No session and no user named: one broadcast, id = the send id, and
    /// no wait unless asked.
    #[test]
    fn no_session_means_one_broadcast_that_does_not_wait() {
        let plan = plan(&request(), lookups(Vec::new())).unwrap();
        assert_eq!(subjects(&plan), ["broadcast"]);
        assert_eq!(plan.messages[0].id, "send1");
        assert_eq!(plan.wait, None);
        assert!(plan.expected.is_empty());
        assert_eq!(plan.receipt_inbox, None);
        assert!(plan.messages[0].headers.get(RECEIPT_TO_HEADER).is_none());
    }

    /// `--answer` and `--remind`: every message carries the answers and the
    /// reminder, and without `--ttl` expires 8 h after it was sent; the
    /// send record names the answers and each session target with its
    /// user when listed.
    #[test]
    fn answers_and_reminders_go_on_every_message_and_the_record() {
        let r = Request {
            sessions: vec![id("a"), id("b")],
            users: vec!["vanessa".into()],
            asks: Asks {
                answers: Answers::parse(&["Yes", "No"]).unwrap(),
                remind: Some(Duration::from_secs(600)),
            },
            ..request()
        };
        assert!(r.check().unwrap().needs.live_sessions);
        let plan = plan(&r, lookups(vec![session("c", "vanessa", None)])).unwrap();
        for m in &plan.messages {
            let json: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
            assert_eq!(json["answers"], serde_json::json!(["Yes", "No"]));
            assert_eq!(json["remind_every"], serde_json::json!(600));
            assert!(json["expires_at"].is_string(), "{json}");
        }
        let record = &plan.record;
        assert_eq!(record.target, SendTarget::Sessions);
        assert_eq!(record.answers.labels(), ["Yes", "No"]);
        assert_eq!(record.remind_every, Some(600));
        let ids: Vec<&str> = record
            .sessions
            .as_ref()
            .unwrap()
            .iter()
            .map(|t| t.session.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            record.sessions.as_ref().unwrap()[2]
                .user
                .as_ref()
                .unwrap()
                .as_str(),
            "vanessa"
        );
        let (sent, expires) = (record.sent_at, record.expires_at.unwrap());
        assert_eq!(expires.duration_since(sent).as_secs(), 8 * 3600);
    }

    /// A broadcast with `--answer` lists the live sessions first, even
    /// without `--wait`, so status can say who has not answered; one
    /// without lists nobody, and its record has no sessions.
    #[test]
    fn a_broadcast_that_asks_lists_its_sessions() {
        let asking = Request {
            asks: Asks {
                answers: Answers::parse(&["Ok"]).unwrap(),
                remind: None,
            },
            ..request()
        };
        assert!(asking.check().unwrap().needs.live_sessions);
        let plan = plan(&asking, lookups(vec![session("a", "", None)])).unwrap();
        assert_eq!(plan.record.target, SendTarget::Broadcast);
        assert_eq!(plan.record.sessions.as_ref().map(Vec::len), Some(1));
        let silent = super::plan(&request(), lookups(Vec::new())).unwrap();
        assert_eq!(silent.record.sessions, None);
        assert!(silent.record.answers.is_empty());
    }

    /// `--session b --session a --session b`: b then a, once each, with ids
    /// `<send id>-<session>`.
    #[test]
    fn repeated_sessions_are_sent_once_each_in_order() {
        let r = Request {
            sessions: vec![id("b"), id("a"), id("b")],
            ..request()
        };
        let plan = plan(&r, lookups(Vec::new())).unwrap();
        assert_eq!(subjects(&plan), ["session.b", "session.a"]);
        let ids: Vec<_> = plan.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["send1-b", "send1-a"]);
    }

    /// A session send waits 5 s by default, for deliveries only, expects
    /// each target's own message id and checks presence.
    #[test]
    fn session_sends_wait_the_default_for_each_target() {
        let r = Request {
            sessions: vec![id("a"), id("b")],
            ..request()
        };
        let plan = plan(&r, lookups(Vec::new())).unwrap();
        assert_eq!(
            plan.wait,
            Some(Wait {
                within: DEFAULT_RECEIPT_WAIT,
                for_read: false
            })
        );
        assert_eq!(DEFAULT_RECEIPT_WAIT, Duration::from_secs(5));
        let expected: Vec<_> = plan
            .expected
            .iter()
            .map(|(s, m)| (s.as_str(), m.as_str()))
            .collect();
        assert_eq!(expected, [("a", "send1-a"), ("b", "send1-b")]);
        assert!(plan.check_presence);
        assert_eq!(plan.receipt_inbox.as_deref(), Some("receipt.r"));
        for m in &plan.messages {
            assert_eq!(
                m.headers.get(RECEIPT_TO_HEADER).unwrap().as_str(),
                "receipt.r"
            );
        }
    }

    /// `--no-wait` on a session send, and `--wait=2s` on a broadcast: the
    /// first waits for nothing, the second for the sessions live before it,
    /// read receipts included, without presence checks.
    #[test]
    fn explicit_waits_override_the_default() {
        let r = Request {
            sessions: vec![id("a")],
            wait: WaitPolicy::Never,
            ..request()
        };
        let no_wait = plan(&r, lookups(Vec::new())).unwrap();
        assert_eq!((no_wait.wait, no_wait.expected.len()), (None, 0));

        let r = Request {
            wait: WaitPolicy::Within(Duration::from_secs(2)),
            ..request()
        };
        assert!(r.check().unwrap().needs.live_sessions);
        let live = vec![session("x", "ann", None), session("y", "bob", None)];
        let broadcast = plan(&r, lookups(live)).unwrap();
        assert_eq!(
            broadcast.wait,
            Some(Wait {
                within: Duration::from_secs(2),
                for_read: true
            })
        );
        let expected: Vec<_> = broadcast
            .expected
            .iter()
            .map(|(s, m)| (s.as_str(), m.as_str()))
            .collect();
        assert_eq!(expected, [("x", "send1"), ("y", "send1")]);
        assert!(!broadcast.check_presence);
    }

    /// The live list is looked up only when `--user`, `--seal` or a waiting
    /// broadcast needs it.
    #[test]
    fn the_live_list_is_needed_only_for_users_seal_or_a_waiting_broadcast() {
        let needs = |r: Request| r.check().unwrap().needs.live_sessions;
        assert!(!needs(request()));
        assert!(!needs(Request {
            sessions: vec![id("a")],
            ..request()
        }));
        assert!(needs(Request {
            users: vec!["ann".into()],
            ..request()
        }));
        assert!(needs(Request {
            sessions: vec![id("a")],
            seal: true,
            ..request()
        }));
    }

    /// `--user ann` adds each of ann's live sessions after the named ones,
    /// and so does `--user ANN`; a user without a live session refuses the
    /// send, naming who is live.
    #[test]
    fn users_resolve_to_their_live_sessions_or_refuse() {
        let live = vec![
            session("a1", "ann", None),
            session("b1", "bob", None),
            session("a2", "ann", None),
        ];
        let r = Request {
            sessions: vec![id("b1")],
            users: vec!["ann".into()],
            ..request()
        };
        let plan_ok = plan(&r, lookups(live.clone())).unwrap();
        assert_eq!(
            subjects(&plan_ok),
            ["session.b1", "session.a1", "session.a2"]
        );

        let r = Request {
            users: vec!["ANN".into()],
            ..request()
        };
        let plan_ok = plan(&r, lookups(live.clone())).unwrap();
        assert_eq!(subjects(&plan_ok), ["session.a1", "session.a2"], "any case");

        let r = Request {
            users: vec!["zoe".into()],
            ..request()
        };
        let err = plan(&r, lookups(live)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSession);
        assert_eq!(err.kind().exit_code(), remote_message_cli::exit::NO_SESSION);
        let err = plan(&r, lookups(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NoSession);
    }

    /// The live users a refusal names are agents' words: a name holding a
    /// line break, a bidi override or a zero-width space is shown escaped,
    /// and the error stays on one line.
    #[test]
    fn live_users_are_named_escaped() {
        use remote_message_cli::lang::{errors_in, Lang};
        // A user name holds no control character, but may hold other
        // characters that must not reach a terminal as they are.
        let live = vec![session("m", "mal\u{2028}ory\u{202E}\u{200B}", None)];
        let r = Request {
            users: vec!["zoe".into()],
            ..request()
        };
        let text = errors_in(Lang::En, || {
            plan(&r, lookups(live)).unwrap_err().to_string()
        });
        assert_eq!(
            text,
            "no live session for user \"zoe\"; live users: mal\\u{2028}ory\\u{202e}\\u{200b}; nothing was sent"
        );
    }

    /// A blank `--user` is a usage error before anything is looked up.
    #[test]
    fn blank_users_are_usage_errors() {
        let users = ["ann".to_owned(), "  ".to_owned()];
        assert_eq!(check_users(&users).unwrap_err().kind(), ErrorKind::Usage);
    }

    /// An empty text or title, refused by the contract's check, is told in the
    /// chosen language, still as a usage error.
    #[test]
    fn empty_text_and_title_are_refused_in_the_chosen_language() {
        use remote_message_cli::lang::{errors_in, Lang};
        let empty_text = Request {
            text: String::new(),
            ..request()
        };
        let empty_title = Request {
            title: Some(String::new()),
            ..request()
        };
        let (text, title) = errors_in(Lang::Fr, || {
            (
                plan(&empty_text, lookups(Vec::new())).unwrap_err(),
                plan(&empty_title, lookups(Vec::new())).unwrap_err(),
            )
        });
        assert_eq!(
            (text.kind(), title.kind()),
            (ErrorKind::Usage, ErrorKind::Usage)
        );
        assert!(
            text.to_string().starts_with("le texte du message est vide"),
            "{text}"
        );
        assert!(
            title.to_string().starts_with("le titre est vide"),
            "{title}"
        );
        let text = errors_in(Lang::Es, || {
            plan(&empty_text, lookups(Vec::new())).unwrap_err()
        });
        assert!(
            text.to_string()
                .starts_with("el texto del mensaje está vacío"),
            "{text}"
        );
    }

    /// Errors are built in the language of the run's errors: Spanish and
    /// French say what is wrong in their words, with the flag, user and
    /// session names as given; the kind stays the same.
    #[test]
    fn errors_speak_spanish_and_french() {
        use remote_message_cli::lang::{errors_in, Lang};
        let blank = Request {
            users: vec!["  ".into()],
            ..request()
        };
        let sealed_broadcast = Request {
            seal: true,
            ..request()
        };
        let nobody = Request {
            users: vec!["bob".into()],
            ..request()
        };
        let texts = |lang| {
            errors_in(lang, || {
                let live = vec![session("a", "ann", None)];
                [
                    check_users(&blank.users).unwrap_err(),
                    sealed_broadcast.check().unwrap_err(),
                    plan(&nobody, lookups(live)).unwrap_err(),
                ]
                .map(|e| (e.kind(), e.to_string()))
            })
        };
        let kinds = [ErrorKind::Usage, ErrorKind::Usage, ErrorKind::NoSession];
        let es = texts(Lang::Es);
        assert_eq!(es.clone().map(|(k, _)| k), kinds);
        assert_eq!(
            es[0].1,
            "--user \"  \" está vacío: indique un nombre de usuario tal como lo muestra `publisher sessions`"
        );
        assert!(
            es[1].1.starts_with("--seal requiere --session o --user: "),
            "{}",
            es[1].1
        );
        assert_eq!(
            es[2].1,
            "no hay ninguna sesión activa del usuario \"bob\"; usuarios activos: ann; no se ha enviado nada"
        );
        let fr = texts(Lang::Fr);
        assert_eq!(fr.clone().map(|(k, _)| k), kinds);
        assert!(
            fr[0].1.starts_with("--user \"  \" est vide : donnez "),
            "{}",
            fr[0].1
        );
        assert!(
            fr[1].1.starts_with("--seal demande --session ou --user : "),
            "{}",
            fr[1].1
        );
        assert_eq!(
            fr[2].1,
            "aucune session active pour l'utilisateur \"bob\" ; utilisateurs actifs : ann ; rien n'a été envoyé"
        );
        let en = texts(Lang::En);
        assert_eq!(
            en[2].1,
            "no live session for user \"bob\"; live users: ann; nothing was sent"
        );
    }

    /// `--seal` refuses a broadcast before connecting, and a session that
    /// is not live or advertises no key after looking; with keys, each
    /// payload is sealed, not the plain envelope.
    #[test]
    fn seal_needs_live_sessions_with_keys() {
        let broadcast = Request {
            seal: true,
            ..request()
        };
        assert_eq!(broadcast.check().unwrap_err().kind(), ErrorKind::Usage);

        let r = Request {
            sessions: vec![id("a")],
            seal: true,
            ..request()
        };
        let not_live = plan(&r, lookups(Vec::new())).unwrap_err();
        assert_eq!(not_live.kind(), ErrorKind::CannotSeal);
        let no_key = plan(&r, lookups(vec![session("a", "ann", None)])).unwrap_err();
        assert_eq!(no_key.kind(), ErrorKind::CannotSeal);

        let xkey = nkeys::XKey::new().public_key();
        let sealed = plan(&r, lookups(vec![session("a", "ann", Some(&xkey))])).unwrap();
        let payload = String::from_utf8_lossy(&sealed.messages[0].payload);
        assert!(!payload.contains("hello"), "{payload}");
        let bad_key = plan(&r, lookups(vec![session("a", "ann", Some("not-a-key"))]));
        assert_eq!(bad_key.unwrap_err().kind(), ErrorKind::CannotSeal);
    }

    /// A message larger on the wire than the server's max_payload refuses
    /// the whole send; one that fits is planned.
    #[test]
    fn messages_over_max_payload_are_refused() {
        let fits = plan(&request(), lookups(Vec::new())).unwrap();
        let size = fits.messages[0].wire_size;
        let exact = Lookups {
            max_payload: size + 16,
            ..lookups(Vec::new())
        };
        assert!(plan(&request(), exact).is_ok());
        let small = Lookups {
            max_payload: size / 2,
            ..lookups(Vec::new())
        };
        assert_eq!(
            plan(&request(), small).unwrap_err().kind(),
            ErrorKind::Usage
        );
    }

    /// A blank text is refused before connecting.
    #[test]
    fn blank_text_is_a_usage_error() {
        let r = Request {
            text: "   ".into(),
            ..request()
        };
        assert_eq!(r.check().unwrap_err().kind(), ErrorKind::Usage);
    }

    /// With `--sign-key`, each envelope names its signer and carries a
    /// signature; without, neither.
    #[test]
    fn signed_sends_carry_a_signature() {
        let key = KeyPair::new_user();
        let public = key.public_key();
        let r = Request {
            sign_key: Some(key),
            ..request()
        };
        let envelope = |r: &Request| -> serde_json::Value {
            let plan = plan(r, lookups(Vec::new())).unwrap();
            serde_json::from_slice(&plan.messages[0].payload).unwrap()
        };
        let signed = envelope(&r);
        assert_eq!(signed["signer"].as_str(), Some(public.as_str()));
        assert!(signed["sig"].is_string());
        let plain = envelope(&request());
        assert!(plain.get("signer").is_none() && plain.get("sig").is_none());
    }
}
