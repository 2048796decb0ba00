//! Which received messages are shown: the agent's admission rules, pure so
//! they are tested without a server. A payload is opened (sealed ones),
//! decoded and checked (signatures, with `--trust`); then a message already
//! shown is not shown again, an expired one never, and a broadcast stored
//! before this session existed is history it never had to see, unless it
//! still carries a ttl. What was sent to the session's own id is for it
//! whenever it comes.
//!
//! With `--trust`, a signed message is also fresh or not shown at all: until
//! its `expires_at` when it has one, else until [`Gate::signed_window`]
//! (`--catch-up-window`) after its `sent_at`; a signed message without
//! `sent_at` is refused. So a signed message harvested from the stream
//! cannot be replayed to agents later (both fields are signed).
//!
//! A signed message dated more than [`MAX_CLOCK_SKEW`] ahead of the agent's
//! clock is refused too: dated 2099, it would otherwise stay fresh for ever.
//!
//! Before any of that, a message must have come the way this agent's
//! messages come: on `broadcast` or this session's own `session.<id>`, and,
//! live, on the subscription to that very subject. A JetStream pull request
//! names any reply subject it likes, and the stored messages it is answered
//! with keep their own subject: so another client can have JetStream deliver
//! alice's stored message (subject `session.alice`, validly signed for it)
//! onto bob's `session.bob`, or onto `broadcast`. Such a message, a status
//! message (a pull request's `404`/`408`, sent to the same reply) and one
//! replayed with a subject not this agent's are refused ([`Arrival`]).
//!
//! Refusals of live messages, and of replayed ones for the way they came
//! ([`Refusal::is_steered`]), are logged at most [`WARNINGS_PER_MINUTE`] a
//! minute ([`Refusals`]): a flood of junk cannot flood the log.

use crate::delivery::Delivery;
use crate::state::Seen;
use async_nats::header::HeaderName;
use async_nats::HeaderMap;
use jiff::Timestamp;
use nkeys::XKey;
use remote_message::envelope::{self, MSG_ID_HEADER, RECEIPT_TO_HEADER};
use remote_message::signing;
use remote_message::subject::BROADCAST;
use remote_message::{sealing, RefusalReason, SendId, SessionId, Target};
use std::borrow::Cow;
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, warn};

/// The two headers an agent reads, as names built once: a lookup by `&str`
/// would build (and allocate) the name for every message.
const MSG_ID: HeaderName = HeaderName::from_static(MSG_ID_HEADER);
const RECEIPT_TO: HeaderName = HeaderName::from_static(RECEIPT_TO_HEADER);

/// Most "not shown" warnings logged per minute.
pub const WARNINGS_PER_MINUTE: u32 = 10;

/// How far ahead of the agent's clock a signed message's `sent_at` may be:
/// the clock skew allowed between ops' machine and an agent. A message dated
/// later is refused (`signed_from_the_future`), else it would stay fresh
/// (shown, replayable) until that date.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// How a message reached the agent, which decides the subjects it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Live, on one of the agent's two subscriptions: its subject must be
    /// that subscription's.
    Live(Subscribed),
    /// Replayed by the agent's own catch-up consumers (their messages carry
    /// the stream's subject: `broadcast` or this session's), stored then.
    Replayed { stored_at: Timestamp },
}

/// The agent's two message subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    Broadcast,
    /// This session's own `session.<id>`.
    Session,
}

/// What to do with a received message.
#[derive(Debug)]
pub enum Admission {
    Show(Delivery),
    /// Shown before (a retried send): confirm again, show nothing.
    AlreadyShown(Delivery),
    /// Not shown, nothing to say (history, a recall order not on `broadcast`).
    Skip,
    /// Not shown: it expired before it could be.
    Expired(Delivery),
    /// A recall order (on `broadcast`): take down the send's messages and
    /// never show them.
    Recall(SendId),
    /// Not shown: its send was recalled.
    Recalled(Delivery),
    /// Not shown, and an operator should know why (when it came live).
    Refused(Refusal),
}

/// Why a payload is not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable name, the `reason` field of the `message_refused` event.
    pub reason: RefusalReason,
    /// The log line.
    pub text: String,
}

impl Refusal {
    /// Refused for the way it came (steered onto this agent), not for its
    /// content: such a message in a replay never came live, so it was not
    /// reported then.
    pub fn is_steered(&self) -> bool {
        self.reason.is_steered()
    }
}

/// The rules and what they need: the session, the ids shown, the keys, the
/// session's age.
pub struct Gate {
    /// Of the `session.*` subjects, only this session's is shown.
    session: SessionId,
    /// Its subject, `session.<id>`, built once.
    session_subject: String,
    pub seen: Seen,
    /// Broadcasts stored before this, without a ttl, are history this
    /// session never had to see.
    pub created_at: Timestamp,
    /// Opens messages sealed to this session.
    pub seal_key: Option<XKey>,
    /// With keys here, only messages signed by one of them are shown.
    pub trusted: Vec<remote_message::UserKey>,
    /// With `trusted` keys: how long after its `sent_at` a signed message
    /// without `expires_at` is shown (`--catch-up-window`).
    pub signed_window: Duration,
    /// Sends recalled: their messages are never shown.
    pub recalled: HashSet<SendId>,
}

impl Gate {
    /// The rules for `session`, a session created at `created_at`: no seal
    /// key, no trusted keys, nothing shown yet.
    pub fn new(session: SessionId, created_at: Timestamp) -> Gate {
        Gate {
            session_subject: Target::Session(session.clone()).subject(),
            session,
            seen: Seen::default(),
            created_at,
            seal_key: None,
            trusted: Vec::new(),
            signed_window: Duration::ZERO,
            recalled: HashSet::new(),
        }
    }

    /// Decodes and judges one message, which came as `arrival`, at `now`.
    pub fn admit(&self, raw: &async_nats::Message, arrival: Arrival, now: Timestamp) -> Admission {
        let subject = raw.subject.as_str();
        let target = match self.arrived_as_sent(raw, arrival) {
            Ok(target) => target,
            Err(refusal) => return Admission::Refused(refusal),
        };
        let stored_at = match arrival {
            Arrival::Live(_) => None,
            Arrival::Replayed { stored_at } => Some(stored_at),
        };
        // Borrowed: only Receipt-To is kept, and only when present.
        let (msg_id, receipt_to) = read_headers(raw.headers.as_ref());
        // Most payloads are read in one pass; the others are checked for a
        // seal first, opened, and decoded.
        let decoded = match envelope::decode_unsealed(&raw.payload, msg_id) {
            Some(decoded) => decoded,
            None => match self.open(&raw.payload, subject) {
                Ok(payload) => envelope::decode(&payload, msg_id),
                Err(refusal) => return Admission::Refused(refusal),
            },
        };
        let message = match decoded {
            Ok(message) => message,
            Err(rejection) => {
                return refused(
                    rejection.reason(),
                    format!("ignored a message on {subject}: {rejection}"),
                )
            }
        };
        if !self.trusted.is_empty() {
            if let Err(why) = signing::verify(&message, subject, &self.trusted) {
                return refused(
                    why.reason(),
                    format!("not showing message {} on {subject}: {why}", message.id),
                );
            }
            if let Some((reason, why)) = self.stale(&message, now) {
                return refused(
                    reason,
                    format!(
                        "not showing signed message {} on {subject}: {why}",
                        message.id
                    ),
                );
            }
        }
        let delivery = Delivery {
            message,
            target,
            receipt_to: receipt_to.filter(|s| !s.is_empty()).map(str::to_owned),
        };
        let message = &delivery.message;
        // A recall order (signed like any message, checked above) is never
        // shown; it counts only on `broadcast`, where ops publish it.
        if let Some(send) = &message.recall {
            if delivery.target != Target::Broadcast {
                debug!("ignored a recall order of {send} on {subject}: not on broadcast");
                return Admission::Skip;
            }
            return Admission::Recall(send.clone());
        }
        if self.seen.contains(message.id.as_str()) {
            debug!("message {} was shown already", message.id);
            return Admission::AlreadyShown(delivery);
        }
        if message
            .id
            .send_id(&delivery.target)
            .is_some_and(|send| self.recalled.contains(&send))
        {
            debug!("message {} was recalled; not shown", message.id);
            return Admission::Recalled(delivery);
        }
        if message.is_expired(now) {
            debug!("message {} expired; not shown", message.id);
            return Admission::Expired(delivery);
        }
        let history = stored_at.is_some_and(|at| at < self.created_at);
        if history && delivery.target == Target::Broadcast && message.expires_at.is_none() {
            return Admission::Skip;
        }
        Admission::Show(delivery)
    }
}

impl Gate {
    /// The target of a message that came the way this agent's messages
    /// come (see the module doc), or why it is refused.
    fn arrived_as_sent(
        &self,
        raw: &async_nats::Message,
        arrival: Arrival,
    ) -> Result<Target, Refusal> {
        let subject = raw.subject.as_str();
        if let Some(status) = raw.status {
            return Err(Refusal {
                reason: RefusalReason::StatusMessage,
                text: format!(
                    "ignored a NATS status message (status {status}) on {subject}: a request \
                     named this subject as its reply"
                ),
            });
        }
        let own = if subject == BROADCAST {
            Some((Subscribed::Broadcast, Target::Broadcast))
        } else if subject == self.session_subject {
            Some((Subscribed::Session, Target::Session(self.session.clone())))
        } else {
            None
        };
        match (own, arrival) {
            (Some((_, target)), Arrival::Replayed { .. }) => Ok(target),
            (Some((on, target)), Arrival::Live(subscribed)) if on == subscribed => Ok(target),
            _ if Target::from_subject(subject).is_none() => Err(Refusal {
                reason: RefusalReason::UnexpectedSubject,
                text: format!("ignored a message on unexpected subject {subject:?}"),
            }),
            (_, Arrival::Live(subscribed)) => Err(Refusal {
                reason: RefusalReason::ForeignSubject,
                text: format!(
                    "ignored a message for {subject} that came on this agent's {}: it was \
                     steered here (a JetStream request naming that as its reply subject?)",
                    self.subscribed_subject(subscribed)
                ),
            }),
            (None, Arrival::Replayed { .. }) => Err(Refusal {
                reason: RefusalReason::ForeignSubject,
                text: format!(
                    "ignored a replayed message for {subject}, which is not this session's"
                ),
            }),
        }
    }

    /// The subject of one of the agent's subscriptions.
    fn subscribed_subject(&self, subscribed: Subscribed) -> &str {
        match subscribed {
            Subscribed::Broadcast => BROADCAST,
            Subscribed::Session => &self.session_subject,
        }
    }

    /// The payload to decode: `payload` itself, or the message sealed in
    /// it, opened with this agent's key; refused when it cannot be opened.
    fn open<'p>(&self, payload: &'p [u8], subject: &str) -> Result<Cow<'p, [u8]>, Refusal> {
        Ok(match sealing::as_sealed(payload) {
            None => Cow::Borrowed(payload),
            Some(sealed) => match self
                .seal_key
                .as_ref()
                .map(|key| sealing::open(&sealed, key))
            {
                Some(Ok(inner)) => Cow::Owned(inner),
                Some(Err(e)) => {
                    return Err(Refusal {
                        reason: RefusalReason::SealedCannotOpen,
                        text: format!("ignored sealed message {} on {subject}: {e}", sealed.id),
                    })
                }
                None => {
                    return Err(Refusal {
                        reason: RefusalReason::SealedNoKey,
                        text: format!(
                            "ignored sealed message {} on {subject}: this agent has no key",
                            sealed.id
                        ),
                    })
                }
            },
        })
    }

    /// Why a signed message is not fresh at `now` (its reason and the
    /// text), or `None` when it may be shown: dated too far ahead, else too
    /// old. One with `expires_at` is left to the expiry rule every message
    /// follows.
    fn stale(
        &self,
        message: &envelope::Incoming,
        now: Timestamp,
    ) -> Option<(RefusalReason, String)> {
        let latest = now.saturating_add(MAX_CLOCK_SKEW).unwrap_or(Timestamp::MAX);
        if let Some(sent_at) = message.sent_at.filter(|at| *at > latest) {
            return Some((
                RefusalReason::SignedFromTheFuture,
                format!(
                    "it was sent at {sent_at}, more than {} ahead of this agent's clock \
                     (now {now})",
                    humantime::format_duration(MAX_CLOCK_SKEW)
                ),
            ));
        }
        if message.expires_at.is_some() {
            return None;
        }
        let Some(sent_at) = message.sent_at else {
            return Some((
                RefusalReason::SignedWithoutSentAt,
                "it has no sent_at, so its age cannot be told".to_owned(),
            ));
        };
        let until = sent_at
            .saturating_add(self.signed_window)
            .unwrap_or(Timestamp::MAX);
        (now >= until).then(|| {
            (
                RefusalReason::SignedTooOld,
                format!(
                    "it was sent at {sent_at}, more than the {} of --catch-up-window ago \
                     (a replay?)",
                    humantime::format_duration(self.signed_window)
                ),
            )
        })
    }
}

/// The `Nats-Msg-Id` and `Receipt-To` headers, each its first value, as
/// `HeaderMap::get` gives it, found in one walk over the few entries: a
/// `get` hashes the name with SipHash, which cost more than the walk.
fn read_headers(headers: Option<&HeaderMap>) -> (Option<&str>, Option<&str>) {
    let (mut msg_id, mut receipt_to) = (None, None);
    for (name, values) in headers.into_iter().flat_map(HeaderMap::iter) {
        if *name == MSG_ID {
            msg_id = values.first().map(|v| v.as_str());
        } else if *name == RECEIPT_TO {
            receipt_to = values.first().map(|v| v.as_str());
        }
    }
    (msg_id, receipt_to)
}

fn refused(reason: RefusalReason, text: String) -> Admission {
    Admission::Refused(Refusal { reason, text })
}

/// The refusals logged in the current minute.
#[derive(Debug)]
pub struct Refusals {
    window_start: Instant,
    count: u32,
}

impl Default for Refusals {
    fn default() -> Refusals {
        Refusals {
            window_start: Instant::now(),
            count: 0,
        }
    }
}

impl Refusals {
    /// Logs a refusal of a live message at `now`, unless this minute has had
    /// its share; the first one of a new minute says how many the last one
    /// left out.
    pub fn log(&mut self, refusal: &Refusal, now: Instant) {
        if let Some(count) = self.count(now) {
            warn!(
                event = remote_message::Event::RefusalsSummarised.name(),
                count, "{count} more messages were not shown in the last minute"
            );
        }
        if self.count <= WARNINGS_PER_MINUTE {
            warn!(
                event = remote_message::Event::MessageRefused.name(),
                reason = refusal.reason.name(),
                "{}",
                refusal.text
            );
        }
    }

    /// Counts one refusal at `now`; returns how many the minute that just
    /// ended left unlogged, when it ended with some.
    fn count(&mut self, now: Instant) -> Option<u32> {
        let mut left_out = None;
        if now.duration_since(self.window_start) >= Duration::from_secs(60) {
            if self.count > WARNINGS_PER_MINUTE {
                left_out = Some(self.count - WARNINGS_PER_MINUTE);
            }
            self.window_start = now;
            self.count = 0;
        }
        self.count += 1;
        left_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(subject: &str, payload: &[u8], id: Option<&str>) -> async_nats::Message {
        let headers = id.map(|id| {
            let mut h = HeaderMap::new();
            h.insert(MSG_ID_HEADER, id);
            h
        });
        async_nats::Message {
            subject: subject.into(),
            reply: None,
            payload: payload.to_vec().into(),
            headers,
            status: None,
            description: None,
            length: payload.len(),
        }
    }

    fn json(text: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"text":"{text}"{extra}}}"#).into_bytes()
    }

    /// The gate of session alice, created at `created_at`.
    fn gate(created_at: Timestamp) -> Gate {
        Gate::new("alice".parse().unwrap(), created_at)
    }

    /// Live, on alice's subscription to `subject` (`broadcast`, else her own).
    fn live(subject: &str) -> Arrival {
        Arrival::Live(if subject == "broadcast" {
            Subscribed::Broadcast
        } else {
            Subscribed::Session
        })
    }

    /// Replayed by alice's catch-up, stored at `stored_at`.
    fn replayed(stored_at: Timestamp) -> Arrival {
        Arrival::Replayed { stored_at }
    }

    fn now() -> Timestamp {
        "2026-01-01T12:00:00Z".parse().unwrap()
    }

    fn shown(admission: Admission) -> Delivery {
        match admission {
            Admission::Show(delivery) => delivery,
            other => panic!("not shown: {other:?}"),
        }
    }

    /// A live text message is shown, with its `Nats-Msg-Id` as id.
    #[test]
    fn a_live_message_is_shown() {
        let g = gate(now());
        let d = shown(g.admit(
            &raw("broadcast", b"hello", Some("m1")),
            live("broadcast"),
            now(),
        ));
        assert_eq!(d.message.id, "m1");
        assert_eq!(d.target, Target::Broadcast);
    }

    /// The same id twice (live and replayed, or a retried send) is shown
    /// once: the second time it only gets its receipt again.
    #[test]
    fn an_id_already_shown_is_not_shown_again() {
        let mut g = gate(now());
        g.seen.insert("m1");
        let again = g.admit(
            &raw("session.alice", b"hello", Some("m1")),
            live("session.alice"),
            now(),
        );
        assert!(matches!(again, Admission::AlreadyShown(_)), "{again:?}");
    }

    /// A recall order on `broadcast` is a recall, never a message to show;
    /// on the session's own subject it is ignored; a message of a recalled
    /// send is not shown.
    #[test]
    fn recall_orders_count_only_on_broadcast() {
        let mut g = gate(now());
        let order = br#"{"id":"s1-recall","recall":"s1"}"#;
        let on_broadcast = g.admit(&raw("broadcast", order, None), live("broadcast"), now());
        assert!(
            matches!(&on_broadcast, Admission::Recall(send) if send.as_str() == "s1"),
            "{on_broadcast:?}"
        );
        let on_session = g.admit(
            &raw("session.alice", order, None),
            live("session.alice"),
            now(),
        );
        assert!(matches!(on_session, Admission::Skip), "{on_session:?}");
        g.recalled
            .insert(remote_message::SendId::parse("s1").unwrap());
        let message = json("hello", r#","id":"s1""#);
        let recalled = g.admit(&raw("broadcast", &message, None), live("broadcast"), now());
        assert!(matches!(recalled, Admission::Recalled(_)), "{recalled:?}");
    }

    /// A message whose expiry the agent's clock has reached is never shown.
    #[test]
    fn an_expired_message_is_skipped() {
        let g = gate(now());
        let expired = json("old news", r#","expires_at":"2026-01-01T11:00:00Z""#);
        let admission = g.admit(
            &raw("broadcast", &expired, Some("m2")),
            live("broadcast"),
            now(),
        );
        assert!(matches!(admission, Admission::Expired(_)), "{admission:?}");
        let fresh = json("news", r#","expires_at":"2026-01-01T13:00:00Z""#);
        shown(g.admit(
            &raw("broadcast", &fresh, Some("m3")),
            live("broadcast"),
            now(),
        ));
    }

    /// Broadcasts stored before the session existed are history it never
    /// had to see, unless they still carry a ttl; the same age on its own
    /// subject is for it, and so is a broadcast stored after it started.
    #[test]
    fn stored_history_broadcasts_are_skipped_but_session_messages_kept() {
        let created = now() - jiff::SignedDuration::from_hours(1);
        let g = gate(created);
        let before = replayed(created - jiff::SignedDuration::from_mins(10));
        let history = g.admit(&raw("broadcast", b"old", Some("h1")), before, now());
        assert!(matches!(history, Admission::Skip), "{history:?}");
        let with_ttl = json(
            "9 pm maintenance",
            r#","expires_at":"2026-01-01T13:00:00Z""#,
        );
        shown(g.admit(&raw("broadcast", &with_ttl, Some("h2")), before, now()));
        shown(g.admit(&raw("session.alice", b"for you", Some("h3")), before, now()));
        let after = replayed(created + jiff::SignedDuration::from_mins(10));
        shown(g.admit(&raw("broadcast", b"recent", Some("h4")), after, now()));
    }

    /// Payloads that cannot be shown are refused with a stable reason.
    #[test]
    fn refusals_carry_their_reason() {
        let g = gate(now());
        let reason = |subject: &str, payload: &[u8]| match g.admit(
            &raw(subject, payload, None),
            live(subject),
            now(),
        ) {
            Admission::Refused(r) => r.reason.name(),
            other => panic!("{other:?}"),
        };
        assert_eq!(reason("broadcast", b""), "empty");
        assert_eq!(reason("broadcast", &[0xff, 0xfe]), "not_utf8");
        assert_eq!(reason("broadcast", br#"{"text":""}"#), "no_text");
        assert_eq!(reason("elsewhere", b"hello"), "unexpected_subject");
        let trusting = Gate {
            trusted: vec![
                remote_message::UserKey::parse(&nkeys::KeyPair::new_user().public_key()).unwrap(),
            ],
            ..gate(now())
        };
        match trusting.admit(&raw("broadcast", b"hello", None), live("broadcast"), now()) {
            Admission::Refused(r) => assert_eq!(r.reason, RefusalReason::Unsigned),
            other => panic!("{other:?}"),
        }
    }

    /// The two headers are read as `HeaderMap::get` reads them (the first
    /// value of each), whatever else the message carries; absent ones are
    /// `None`.
    #[test]
    fn headers_are_read_as_get_reads_them() {
        let mut h = HeaderMap::new();
        h.insert("Other", "x");
        h.insert(MSG_ID_HEADER, "m1");
        h.append(MSG_ID_HEADER, "m2");
        h.insert(RECEIPT_TO_HEADER, "receipt.abc");
        assert_eq!(read_headers(Some(&h)), (Some("m1"), Some("receipt.abc")));
        assert_eq!(
            read_headers(Some(&h)),
            (
                h.get(MSG_ID_HEADER).map(|v| v.as_str()),
                h.get(RECEIPT_TO_HEADER).map(|v| v.as_str())
            )
        );
        let mut only = HeaderMap::new();
        only.insert(RECEIPT_TO_HEADER, "receipt.abc");
        assert_eq!(read_headers(Some(&only)), (None, Some("receipt.abc")));
        assert_eq!(read_headers(None), (None, None));
    }

    /// A gate trusting one fresh key with a one-hour window, the key, and a
    /// payload it signed for `broadcast`, sent at `sent_at`.
    fn trusting_gate() -> (Gate, nkeys::KeyPair) {
        let key = nkeys::KeyPair::new_user();
        let gate = Gate {
            trusted: vec![remote_message::UserKey::parse(&key.public_key()).unwrap()],
            signed_window: Duration::from_secs(3600),
            ..gate(now())
        };
        (gate, key)
    }

    fn signed_at(key: &nkeys::KeyPair, sent_at: Timestamp, ttl: Option<Duration>) -> Vec<u8> {
        signed_for(key, "broadcast", sent_at, ttl)
    }

    /// A payload `key` signed for `subject`, sent at `sent_at`.
    fn signed_for(
        key: &nkeys::KeyPair,
        subject: &str,
        sent_at: Timestamp,
        ttl: Option<Duration>,
    ) -> Vec<u8> {
        let mut e = envelope::Envelope::new("Restart at 10pm".into(), None, None).unwrap();
        e.sent_at = sent_at;
        if let Some(ttl) = ttl {
            e = e.expiring_after(ttl);
        }
        e.sign(key, subject);
        e.to_payload()
    }

    fn reason_of(admission: Admission) -> &'static str {
        match admission {
            Admission::Refused(r) => r.reason.name(),
            other => panic!("not refused: {other:?}"),
        }
    }

    /// With --trust, a signed message without `expires_at` is shown while
    /// younger than the window after its `sent_at`, and refused as
    /// `signed_too_old` from then on (a harvested message replayed later).
    #[test]
    fn a_signed_message_is_shown_only_within_the_window_after_sent_at() {
        let (g, key) = trusting_gate();
        let hour = jiff::SignedDuration::from_hours(1);
        let fresh = signed_at(
            &key,
            now() - hour + jiff::SignedDuration::from_secs(1),
            None,
        );
        shown(g.admit(
            &raw("broadcast", &fresh, Some("f1")),
            live("broadcast"),
            now(),
        ));
        let old = signed_at(&key, now() - hour, None);
        let refused = g.admit(
            &raw("broadcast", &old, Some("f2")),
            live("broadcast"),
            now(),
        );
        assert_eq!(reason_of(refused), "signed_too_old");
        // Replayed from the stream, the same age is refused too.
        let stored = replayed(now() - hour);
        let again = g.admit(&raw("broadcast", &old, Some("f2")), stored, now());
        assert_eq!(reason_of(again), "signed_too_old");
    }

    /// A signed message with `expires_at` is shown until then, even past the
    /// window after its `sent_at`, and never after.
    #[test]
    fn a_signed_message_with_expires_at_is_shown_until_it_expires() {
        let (g, key) = trusting_gate();
        let sent = now() - jiff::SignedDuration::from_hours(3);
        let long = signed_at(&key, sent, Some(Duration::from_secs(4 * 3600)));
        shown(g.admit(
            &raw("broadcast", &long, Some("e1")),
            live("broadcast"),
            now(),
        ));
        let short = signed_at(&key, sent, Some(Duration::from_secs(2 * 3600)));
        let expired = g.admit(
            &raw("broadcast", &short, Some("e2")),
            live("broadcast"),
            now(),
        );
        assert!(matches!(expired, Admission::Expired(_)), "{expired:?}");
    }

    /// A signed message without `sent_at` (validly signed over a null
    /// `sent_at`) is refused: its age cannot be told.
    #[test]
    fn a_signed_message_without_sent_at_is_refused() {
        let (g, key) = trusting_gate();
        let signed = signing::Signed {
            subject: "broadcast",
            id: "n1",
            text: "no date",
            title: None,
            sender: None,
            sent_at: None,
            expires_at: None,
            priority: Default::default(),
            answers: &Default::default(),
            remind_every: None,
            recall: None,
        };
        let (signer, sig) = signing::sign(&key, &signed);
        let payload =
            format!(r#"{{"id":"n1","text":"no date","signer":"{signer}","sig":"{sig}"}}"#);
        let refused = g.admit(
            &raw("broadcast", payload.as_bytes(), Some("n1")),
            live("broadcast"),
            now(),
        );
        assert_eq!(reason_of(refused), "signed_without_sent_at");
    }

    /// With --trust, a signed message dated up to `MAX_CLOCK_SKEW` ahead of
    /// the agent's clock is shown; one dated later is refused as
    /// `signed_from_the_future`, with or without `expires_at` (dated 2099,
    /// it would otherwise stay fresh for ever), live or replayed.
    #[test]
    fn a_signed_message_from_the_future_is_refused() {
        let (g, key) = trusting_gate();
        let skew = jiff::SignedDuration::try_from(MAX_CLOCK_SKEW).unwrap();
        let ahead = signed_at(&key, now() + skew, None);
        shown(g.admit(
            &raw("broadcast", &ahead, Some("a1")),
            live("broadcast"),
            now(),
        ));
        let later = now() + skew + jiff::SignedDuration::from_secs(1);
        let too_far = signed_at(&key, later, None);
        let refused = g.admit(
            &raw("broadcast", &too_far, Some("a2")),
            live("broadcast"),
            now(),
        );
        assert_eq!(reason_of(refused), "signed_from_the_future");
        let stored = replayed(now());
        let again = g.admit(&raw("broadcast", &too_far, Some("a2")), stored, now());
        assert_eq!(reason_of(again), "signed_from_the_future");
        let year_2099 = "2099-01-01T00:00:00Z".parse().unwrap();
        let with_ttl = signed_at(&key, year_2099, Some(Duration::from_secs(3600)));
        let refused = g.admit(
            &raw("broadcast", &with_ttl, Some("a3")),
            live("broadcast"),
            now(),
        );
        assert_eq!(reason_of(refused), "signed_from_the_future");
    }

    /// A message is shown only when its subject is `broadcast` or alice's
    /// own `session.alice` and, live, the subject of the subscription it
    /// came on; replayed, either of the two. Anything else (another
    /// session's message steered onto hers or onto `broadcast`, one of her
    /// own subjects on the other subscription, a replay of another
    /// session's message) is refused as `foreign_subject`, even validly
    /// signed for its own subject, and counts as steered (logged from a
    /// replay too); a subject that names no target is `unexpected_subject`.
    #[test]
    fn only_the_subject_of_the_subscription_it_came_on_is_shown() {
        let (g, key) = trusting_gate();
        let payload = |subject: &str| signed_for(&key, subject, now(), None);
        let admit = |subject: &str, arrival: Arrival| {
            g.admit(&raw(subject, &payload(subject), Some("s1")), arrival, now())
        };
        let on_broadcast = Arrival::Live(Subscribed::Broadcast);
        let on_session = Arrival::Live(Subscribed::Session);
        assert_eq!(
            shown(admit("broadcast", on_broadcast)).target,
            Target::Broadcast
        );
        let alice = Target::Session("alice".parse().unwrap());
        assert_eq!(shown(admit("session.alice", on_session)).target, alice);
        assert_eq!(shown(admit("session.alice", replayed(now()))).target, alice);
        shown(admit("broadcast", replayed(now())));
        for (subject, arrival) in [
            ("session.bob", on_session),
            ("session.bob", on_broadcast),
            ("session.alice", on_broadcast),
            ("broadcast", on_session),
            ("session.bob", replayed(now())),
        ] {
            match admit(subject, arrival) {
                Admission::Refused(r) => {
                    assert_eq!(
                        r.reason,
                        RefusalReason::ForeignSubject,
                        "{subject} {arrival:?}"
                    );
                    assert!(r.is_steered());
                }
                other => panic!("{subject} {arrival:?}: {other:?}"),
            }
        }
        let elsewhere = g.admit(&raw("elsewhere", b"hi", None), on_session, now());
        assert_eq!(reason_of(elsewhere), "unexpected_subject");
        let empty = g.admit(&raw("broadcast", b"", None), on_broadcast, now());
        match empty {
            Admission::Refused(r) => assert!(!r.is_steered(), "{r:?}"),
            other => panic!("{other:?}"),
        }
    }

    /// A NATS status message (a JetStream pull request's `408` or `404`,
    /// sent to the reply subject it named: alice's own) is refused as
    /// `status_message`, never shown, whatever its payload.
    #[test]
    fn a_status_message_is_refused() {
        let g = gate(now());
        for (status, subject) in [
            (async_nats::StatusCode::TIMEOUT, "session.alice"),
            (async_nats::StatusCode::NOT_FOUND, "broadcast"),
        ] {
            for payload in [&b""[..], b"hello"] {
                let mut message = raw(subject, payload, None);
                message.status = Some(status);
                let refused = g.admit(&message, live(subject), now());
                assert_eq!(reason_of(refused), "status_message", "{status} {subject}");
            }
        }
    }

    /// Without --trust, age after `sent_at` is no reason to refuse.
    #[test]
    fn without_trust_an_old_message_is_shown() {
        let g = gate(now() - jiff::SignedDuration::from_hours(100));
        let old = json("old", r#","sent_at":"2025-01-01T00:00:00Z""#);
        shown(g.admit(
            &raw("session.alice", &old, Some("o1")),
            live("session.alice"),
            now(),
        ));
    }

    /// Ten refusals a minute are logged; the first of the next minute says
    /// how many more there were.
    #[test]
    fn refusals_are_counted_per_minute() {
        let t0 = Instant::now();
        let mut r = Refusals {
            window_start: t0,
            count: 0,
        };
        for _ in 0..15 {
            assert_eq!(r.count(t0 + Duration::from_secs(1)), None);
        }
        assert_eq!(r.count, 15);
        assert_eq!(r.count(t0 + Duration::from_secs(61)), Some(5));
        assert_eq!(r.count, 1);
        assert_eq!(r.count(t0 + Duration::from_secs(200)), None);
    }
}
