//! Who is connected, and who got a message: the companion of 4D's
//! `Process activity (Sessions only)`.
//!
//! Listing sessions is a scatter-gather: ops publishes on
//! [`SESSIONS_PING`](crate::subject::SESSIONS_PING) with the reply subject
//! `sessions.entry.<token>`, and every live agent answers on
//! `sessions.entry.<token>.<id>.<user>` with its [`Entry`]. The session id and
//! the user come from that SUBJECT only (the user hex-encoded, `-` for none
//! bound), which a broker enforcing per-session identity lets only that
//! session publish on; the payload carries the rest. A stopped, frozen or
//! cut-off agent does not answer, so it is not listed. A [`Listing`] is
//! bounded: entries of at most [`MAX_ENTRY_BYTES`], at most [`MAX_SESSIONS`]
//! sessions, one entry per id; what it ignores is reported in one warning.
//! It lasts its wait, longer only while NEW sessions keep answering: a
//! session answering again cannot stretch it.
//!
//! A [`Receipt`] is what an agent sends back, on `<Receipt-To>.<id>`, once it
//! has shown a message (`delivered`, saying how: [`ShownVia`]), and again
//! when the user acknowledged it (`read`), where its display can tell.
//! [`receipt_from`] accepts one only when the payload names the session its
//! subject ends with.
//!
//! [`Where`] is `--where KEY=VALUE`: the conditions a listed session must
//! meet, read against its [`SessionInfo`]. Its id and user come from the
//! entry's subject (bound by the broker in per-session mode); its host, os,
//! version and labels are what the agent says of itself.

use crate::public_key::SealingKey;
use crate::send_id::MessageId;
use crate::session_id::SessionId;
use crate::subject;
use crate::user_name::UserName;
use async_nats::{Client, Message, StatusCode};
use futures::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

/// How long a listing waits for answers when `--timeout` is not given.
pub const DEFAULT_LIST_WAIT: Duration = Duration::from_secs(1);

/// Past its wait, a listing goes on while new sessions keep answering: it
/// ends once none came for this long. A large fleet answers for longer than
/// the wait (19,000 agents on two cores: 1.7 s), and cutting it off there
/// lists a part of it. Answers from sessions listed already do not count.
pub const LIST_QUIET: Duration = Duration::from_millis(250);

/// A listing ends this long after its request at the latest (or at its
/// wait, if that is longer), however long new sessions keep answering.
pub const LIST_WAIT_LIMIT: Duration = Duration::from_secs(30);

/// Largest entry payload a listing takes; larger ones are ignored.
pub const MAX_ENTRY_BYTES: usize = 4 * 1024;

/// Most distinct sessions one listing takes; the answers beyond are ignored.
pub const MAX_SESSIONS: usize = 100_000;

/// One live session, as `publisher sessions --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    /// The user: bound by the agent's credentials, else `--user-name` or the
    /// OS login name; `None` when none is bound (written `""`).
    #[serde(with = "crate::user_name::or_empty")]
    pub user: Option<UserName>,
    pub host: String,
    pub os: String,
    /// Agent version.
    pub version: String,
    /// When the session started.
    pub since: Timestamp,
    pub labels: BTreeMap<String, String>,
    /// Public curve25519 key (`X…`) messages to this session can be sealed to.
    pub xkey: Option<SealingKey>,
}

/// The payload of a session-list answer: everything but the id and the
/// user, which travel in its subject. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub version: String,
    pub since: Timestamp,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xkey: Option<String>,
}

impl SessionInfo {
    /// The entry payload an agent answers a listing with.
    pub fn entry_payload(&self) -> Vec<u8> {
        let entry = Entry {
            host: self.host.clone(),
            os: self.os.clone(),
            version: self.version.clone(),
            since: self.since,
            labels: self.labels.clone(),
            xkey: self.xkey.as_ref().map(SealingKey::to_string),
        };
        serde_json::to_vec(&entry).expect("an entry serializes")
    }

    /// The token this session's user travels as in its entry subject.
    pub fn user_token(&self) -> String {
        UserName::token(self.user.as_ref())
    }

    /// The session an answer names: id and user from its subject, the rest
    /// from its payload; `None` for anything that is not an entry.
    pub fn from_entry(id: SessionId, user_token: &str, payload: &[u8]) -> Option<SessionInfo> {
        let user = UserName::from_token(user_token)?;
        let entry: Entry = serde_json::from_slice(payload).ok()?;
        Some(SessionInfo {
            id,
            user,
            host: entry.host,
            os: entry.os,
            version: entry.version,
            since: entry.since,
            labels: entry.labels,
            xkey: entry.xkey.as_deref().and_then(SealingKey::parse),
        })
    }
}

/// Why a `--label` is not `key=value`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLabel {
    #[error("label {0:?} has no '=': write it as key=value, e.g. dept=sales")]
    NoEquals(String),
    #[error("label key {0:?} is not 1 or more characters of A-Z a-z 0-9 _ - .")]
    BadKey(String),
}

/// Parses a `--label key=value`.
pub fn parse_label(raw: &str) -> Result<(String, String), InvalidLabel> {
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| InvalidLabel::NoEquals(raw.to_owned()))?;
    if !is_label_key(key) {
        return Err(InvalidLabel::BadKey(key.to_owned()));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// The one rule for a label key: 1 or more of A-Z a-z 0-9 `_` `-` `.`.
fn is_label_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The `--where` keys that name a field of the session list rather than a
/// label; `label.KEY` reaches a label whose key is one of them.
pub const WHERE_FIELDS: [&str; 5] = ["host", "os", "version", "user", "session"];

/// The prefix that makes a `--where` key a label key whatever follows.
pub const WHERE_LABEL_PREFIX: &str = "label.";

/// `--where KEY=VALUE`, parsed: every condition a session must meet (all of
/// them) to be listed by `publisher sessions --where` or targeted by
/// `publisher send --where`. Empty: no condition, every session matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Where {
    conditions: Vec<Condition>,
}

/// One `--where` condition: a field of the session list, or a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `host=` exactly.
    Host(String),
    /// `os=` exactly.
    Os(String),
    /// `version=` (the agent's) exactly.
    Version(String),
    /// `user=`, its case aside ([`crate::user_name::is_user`]); `user=`
    /// with nothing after it is a session with no user.
    User(String),
    /// `session=` (the id) exactly.
    Session(String),
    /// Any other key, or `label.KEY`: the label KEY has exactly this value.
    Label { key: String, value: String },
}

/// Why a `--where` is not `KEY=VALUE`; each says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWhere {
    #[error(
        "--where {0:?} has no '=': write KEY=VALUE, e.g. --where dept=sales or --where host=pc-12"
    )]
    NoEquals(String),
    #[error("--where {0:?} has no key before '=': write KEY=VALUE, e.g. --where dept=sales")]
    EmptyKey(String),
    #[error(
        "--where {raw:?}: label key {key:?} is not 1 or more characters of A-Z a-z 0-9 _ - .; \
         write KEY=VALUE, KEY being host, os, version, user, session, a label key (dept=sales) \
         or label.KEY for a label named like one of those (label.host=pc-12)"
    )]
    BadLabelKey { raw: String, key: String },
}

impl Condition {
    /// One `KEY=VALUE`, split at the first `=`.
    pub fn parse(raw: &str) -> Result<Condition, InvalidWhere> {
        let (key, value) = raw
            .split_once('=')
            .ok_or_else(|| InvalidWhere::NoEquals(raw.to_owned()))?;
        if key.is_empty() {
            return Err(InvalidWhere::EmptyKey(raw.to_owned()));
        }
        let value = value.to_owned();
        Ok(match key {
            "host" => Condition::Host(value),
            "os" => Condition::Os(value),
            "version" => Condition::Version(value),
            "user" => Condition::User(value),
            "session" => Condition::Session(value),
            _ => {
                let label = key.strip_prefix(WHERE_LABEL_PREFIX).unwrap_or(key);
                if !is_label_key(label) {
                    return Err(InvalidWhere::BadLabelKey {
                        raw: raw.to_owned(),
                        key: label.to_owned(),
                    });
                }
                Condition::Label {
                    key: label.to_owned(),
                    value,
                }
            }
        })
    }

    /// Whether `session` meets this condition.
    pub fn matches(&self, session: &SessionInfo) -> bool {
        match self {
            Condition::Host(host) => session.host == *host,
            Condition::Os(os) => session.os == *os,
            Condition::Version(version) => session.version == *version,
            Condition::User(user) => {
                crate::user_name::is_user(UserName::shown(session.user.as_ref()), user)
            }
            Condition::Session(id) => session.id.as_str() == id,
            Condition::Label { key, value } => session.labels.get(key) == Some(value),
        }
    }
}

/// A `--where` value as it could be typed again: as is when it is one
/// plain word, else quoted (`"Windows 11 Pro"`, `""`).
struct Typed<'a>(&'a str);

impl fmt::Display for Typed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = |c: char| c.is_alphanumeric() || "_-.,:/@+=".contains(c);
        if !self.0.is_empty() && self.0.chars().all(plain) {
            f.write_str(self.0)
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

impl fmt::Display for Condition {
    /// As it could be written again: `host=pc-12`, `dept=sales`,
    /// `os="Windows 11 Pro"`, and `label.host=x` for a label named like a
    /// field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Host(value) => write!(f, "host={}", Typed(value)),
            Condition::Os(value) => write!(f, "os={}", Typed(value)),
            Condition::Version(value) => write!(f, "version={}", Typed(value)),
            Condition::User(value) => write!(f, "user={}", Typed(value)),
            Condition::Session(value) => write!(f, "session={}", Typed(value)),
            Condition::Label { key, value }
                if WHERE_FIELDS.contains(&key.as_str()) || key.starts_with(WHERE_LABEL_PREFIX) =>
            {
                write!(f, "{WHERE_LABEL_PREFIX}{key}={}", Typed(value))
            }
            Condition::Label { key, value } => write!(f, "{key}={}", Typed(value)),
        }
    }
}

impl Where {
    /// Every `--where` as given; the first bad one is the error.
    pub fn parse(raw: &[String]) -> Result<Where, InvalidWhere> {
        let conditions = raw
            .iter()
            .map(|one| Condition::parse(one))
            .collect::<Result<_, _>>()?;
        Ok(Where { conditions })
    }

    /// No condition: every session matches.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    /// The conditions, in the order given.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether `session` meets every condition.
    pub fn matches(&self, session: &SessionInfo) -> bool {
        self.conditions.iter().all(|c| c.matches(session))
    }
}

impl fmt::Display for Where {
    /// `--where dept=sales --where os=linux`, as it could be typed again.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self
            .conditions
            .iter()
            .map(|c| format!("--where {c}"))
            .collect();
        f.write_str(&words.join(" "))
    }
}

/// Agent side: the answer to a listing whose reply subject is `reply`:
/// `(subject, payload)`, or `None` when `reply` is not
/// `sessions.entry.<one token>` (nothing is sent then).
pub fn entry_answer(reply: &str, info: &SessionInfo) -> Option<(String, Vec<u8>)> {
    subject::is_entry_reply(reply).then(|| {
        (
            subject::entry_subject(reply, &info.id, &info.user_token()),
            info.entry_payload(),
        )
    })
}

/// Ops side: every session that answers within `wait`, or later while new
/// sessions keep answering (see [`gather`]), sorted by user then id; what
/// was ignored is logged in one warning (event `sessions_ignored`).
/// Returns at once when no agent is subscribed at all.
pub async fn discover(
    client: &Client,
    wait: Duration,
) -> Result<Vec<SessionInfo>, async_nats::Error> {
    let reply = subject::new_entry_reply();
    let answers = client.subscribe(format!("{reply}.>")).await?;
    // "No responders" comes back on the reply subject itself.
    let nobody = client.subscribe(reply.clone()).await?;
    client
        .publish_with_reply(subject::SESSIONS_PING, reply.clone(), Default::default())
        .await?;
    client.flush().await?;
    let asked = tokio::time::Instant::now();
    let mut listing = Listing::new(&reply);
    gather(
        &mut listing,
        futures::stream::select(answers, nobody),
        asked,
        wait,
    )
    .await;
    // `gather` dropped the subscriptions, which unsubscribes them.
    if listing.ignored().total() > 0 {
        tracing::warn!(
            event = crate::Event::SessionsIgnored.name(),
            ignored = listing.ignored().total(),
            "session list: {}",
            listing.ignored()
        );
    }
    Ok(listing.into_sessions())
}

/// Reads the answers to a listing asked at `asked` into `listing` until it
/// ends (see [`listing_ends`]), or at once on "no responders". Only an
/// answer that lists a NEW session moves the end: a session listed already
/// answering again (the same entry or another), or an answer that is no
/// entry, is taken (and counted if ignored) but does not keep the listing
/// open, so no agent can stretch a listing to its limit on its own.
async fn gather(
    listing: &mut Listing,
    mut answers: impl futures::Stream<Item = Message> + Unpin,
    asked: tokio::time::Instant,
    wait: Duration,
) {
    let mut last_new_session = None;
    while let Ok(Some(answer)) =
        tokio::time::timeout_at(listing_ends(asked, wait, last_new_session), answers.next()).await
    {
        if answer.status == Some(StatusCode::NO_RESPONDERS) {
            break;
        }
        if listing.add(answer.subject.as_str(), &answer.payload) {
            last_new_session = Some(tokio::time::Instant::now());
        }
    }
}

/// When a listing asked at `asked` stops waiting: at `asked + wait`, or
/// [`LIST_QUIET`] after the last new session answered if that is later,
/// and never past [`LIST_WAIT_LIMIT`] (or `wait`, if longer) after `asked`.
pub fn listing_ends(
    asked: tokio::time::Instant,
    wait: Duration,
    last_new_session: Option<tokio::time::Instant>,
) -> tokio::time::Instant {
    let waited = asked + wait;
    let limit = asked + wait.max(LIST_WAIT_LIMIT);
    match last_new_session {
        Some(at) => waited.max(at + LIST_QUIET).min(limit),
        None => waited,
    }
}

/// Answers a listing ignored, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ignored {
    /// Not `<reply>.<id>.<user>` with a valid id and user, or no entry JSON.
    pub malformed: usize,
    /// Payload over [`MAX_ENTRY_BYTES`].
    pub oversize: usize,
    /// New sessions past [`MAX_SESSIONS`].
    pub beyond_limit: usize,
    /// A second, different answer for an id already listed.
    pub answered_twice: usize,
}

impl Ignored {
    pub fn total(&self) -> usize {
        self.malformed + self.oversize + self.beyond_limit + self.answered_twice
    }
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut why = Vec::new();
        if self.malformed > 0 {
            why.push(format!("{} malformed", self.malformed));
        }
        if self.oversize > 0 {
            why.push(format!("{} over {MAX_ENTRY_BYTES} bytes", self.oversize));
        }
        if self.beyond_limit > 0 {
            why.push(format!(
                "{} beyond {MAX_SESSIONS} sessions",
                self.beyond_limit
            ));
        }
        if self.answered_twice > 0 {
            why.push(format!(
                "{} answered twice for a session already listed",
                self.answered_twice
            ));
        }
        write!(f, "{} answer(s) ignored: {}", self.total(), why.join(", "))
    }
}

/// The answers to one session listing, read as [`discover`] reads them
/// (the benchmarks too): identity from the subject, bounded, one entry per id.
#[derive(Debug)]
pub struct Listing {
    reply: String,
    sessions: HashMap<SessionId, SessionInfo>,
    ignored: Ignored,
}

impl Listing {
    /// An empty listing of the answers to the reply subject `reply`.
    pub fn new(reply: &str) -> Listing {
        Listing {
            reply: reply.to_owned(),
            sessions: HashMap::new(),
            ignored: Ignored::default(),
        }
    }

    /// Takes one answer; true when it listed a new session.
    pub fn add(&mut self, subject: &str, payload: &[u8]) -> bool {
        if payload.len() > MAX_ENTRY_BYTES {
            self.ignored.oversize += 1;
            return false;
        }
        let Some(info) = subject::entry_sender(&self.reply, subject)
            .and_then(|(id, user)| SessionInfo::from_entry(id, user, payload))
        else {
            self.ignored.malformed += 1;
            return false;
        };
        match self.sessions.get(&info.id) {
            Some(first) => {
                if *first != info {
                    self.ignored.answered_twice += 1;
                }
                false
            }
            None if self.sessions.len() >= MAX_SESSIONS => {
                self.ignored.beyond_limit += 1;
                false
            }
            None => {
                self.sessions.insert(info.id.clone(), info);
                true
            }
        }
    }

    /// What was ignored so far.
    pub fn ignored(&self) -> Ignored {
        self.ignored
    }

    /// How many sessions are listed so far.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is listed yet.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// The sessions, sorted by user then id.
    pub fn into_sessions(self) -> Vec<SessionInfo> {
        let mut sessions: Vec<SessionInfo> = self.sessions.into_values().collect();
        sessions.sort_by(|a, b| (&a.user, &a.id).cmp(&(&b.user, &b.id)));
        sessions
    }
}

/// The receipt a message on `subject` carries for a publisher that set
/// `Receipt-To: receipt_to`: `None` unless the subject is
/// `<receipt_to>.<id>` and the payload is a receipt naming that same `<id>`.
pub fn receipt_from(receipt_to: &str, subject: &str, payload: &[u8]) -> Option<Receipt> {
    let sender = subject::receipt_sender(receipt_to, subject)?;
    let receipt: Receipt = serde_json::from_slice(payload).ok()?;
    (receipt.session == sender).then_some(receipt)
}

/// An agent's acknowledgement that it showed a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The message id.
    pub id: MessageId,
    /// The session that showed it.
    pub session: SessionId,
    /// Shown, or acknowledged by the user.
    pub status: ReceiptStatus,
    pub at: Timestamp,
    /// On a delivered receipt: whether a read receipt can follow (the
    /// message is on a display with an OK action). Absent means no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ack: Option<bool>,
    /// On a delivered receipt: how the message was shown, its display first
    /// (`["terminal", "exec"]`). Empty (absent on the wire): not said, as
    /// from agents that predate it. Words this version does not know are
    /// dropped, and a value that is not a list reads as empty, so a newer
    /// or foreign agent's receipt still counts.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "known_ways"
    )]
    pub shown: Vec<ShownVia>,
}

/// How an agent showed a message, as its delivered receipt says: what
/// `publisher send` reports after `delivered`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShownVia {
    /// A desktop notification.
    Desktop,
    /// A terminal block on the agent's stdout (`--output terminal`, `auto`
    /// without a notification service, or a notification that failed).
    Terminal,
    /// A JSON line on the agent's stdout (`--output json`).
    Json,
    /// Handed to the `--exec` program (queued: the receipt does not wait
    /// for it to run).
    Exec,
}

impl ShownVia {
    /// The word on the wire, which `publisher send` prints too.
    pub fn as_str(self) -> &'static str {
        match self {
            ShownVia::Desktop => "desktop",
            ShownVia::Terminal => "terminal",
            ShownVia::Json => "json",
            ShownVia::Exec => "exec",
        }
    }
}

/// A receipt's `shown`, read leniently: the known words of a list, each
/// once, in order; anything else reads as nothing said.
pub(crate) fn known_ways<'de, D: serde::Deserializer<'de>>(
    input: D,
) -> Result<Vec<ShownVia>, D::Error> {
    use serde::de::IgnoredAny;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Way {
        Known(ShownVia),
        Unknown(IgnoredAny),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Field {
        List(Vec<Way>),
        Other(IgnoredAny),
    }
    let mut known = Vec::new();
    if let Field::List(ways) = Field::deserialize(input)? {
        for way in ways {
            if let Way::Known(way) = way {
                if !known.contains(&way) {
                    known.push(way);
                }
            }
        }
    }
    Ok(known)
}

/// What a [`Receipt`] says. A receipt with any other status does not parse,
/// so a sender ignores it (as `docs/protocol.md` asks of senders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// `delivered`: shown on the user's screen.
    Delivered,
    /// `read`: the user acknowledged it (clicked OK on the notification).
    Read,
}

impl ReceiptStatus {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Delivered => "delivered",
            ReceiptStatus::Read => "read",
        }
    }
}

impl std::fmt::Display for ReceiptStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Receipt {
    pub fn delivered(id: &MessageId, session: &SessionId) -> Receipt {
        Receipt::with_status(id, session, ReceiptStatus::Delivered)
    }

    /// The user acknowledged the message.
    pub fn read(id: &MessageId, session: &SessionId) -> Receipt {
        Receipt::with_status(id, session, ReceiptStatus::Read)
    }

    /// Says whether a read receipt can follow this delivered one.
    pub fn with_read_ack(mut self, read_ack: bool) -> Receipt {
        self.read_ack = Some(read_ack);
        self
    }

    /// Says how the message was shown.
    pub fn with_shown(mut self, shown: Vec<ShownVia>) -> Receipt {
        self.shown = shown;
        self
    }

    /// Whether this is a read receipt.
    pub fn is_read(&self) -> bool {
        self.status == ReceiptStatus::Read
    }

    fn with_status(id: &MessageId, session: &SessionId, status: ReceiptStatus) -> Receipt {
        Receipt {
            id: id.clone(),
            session: session.clone(),
            status,
            at: Timestamp::now(),
            read_ack: None,
            shown: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listing waits its wait; new sessions that keep answering past it
    /// extend it by the quiet gap each, up to the limit; a longer wait is
    /// its own limit.
    #[test]
    fn a_listing_waits_while_answers_keep_coming() {
        let asked = tokio::time::Instant::now();
        let wait = Duration::from_secs(1);
        let ms = Duration::from_millis;
        assert_eq!(listing_ends(asked, wait, None), asked + wait);
        // An answer early on does not shorten or lengthen the wait.
        assert_eq!(
            listing_ends(asked, wait, Some(asked + ms(10))),
            asked + wait
        );
        // One just before the wait ends keeps the listing open a little.
        assert_eq!(
            listing_ends(asked, wait, Some(asked + ms(900))),
            asked + ms(900) + LIST_QUIET
        );
        assert_eq!(
            listing_ends(asked, wait, Some(asked + ms(5_000))),
            asked + ms(5_000) + LIST_QUIET
        );
        // Never past the limit, however late the answers.
        assert_eq!(
            listing_ends(asked, wait, Some(asked + LIST_WAIT_LIMIT)),
            asked + LIST_WAIT_LIMIT
        );
        let long = LIST_WAIT_LIMIT * 2;
        assert_eq!(listing_ends(asked, long, Some(asked + long)), asked + long);
    }

    /// An answer as a listing receives it: `payload` on `subject`.
    fn message(subject: &str, payload: &[u8]) -> Message {
        Message {
            subject: subject.into(),
            reply: None,
            payload: payload.to_vec().into(),
            headers: None,
            status: None,
            description: None,
            length: payload.len(),
        }
    }

    /// `answers` as they arrive: each `(after, answer)` comes `after` the
    /// one before it; the stream then stays open without a word.
    fn arriving(answers: Vec<(Duration, Message)>) -> impl futures::Stream<Item = Message> + Unpin {
        let timed = futures::stream::iter(answers).then(|(after, answer)| async move {
            tokio::time::sleep(after).await;
            answer
        });
        Box::pin(timed.chain(futures::stream::pending()))
    }

    /// An agent that answers again every 100 ms (the same entry, another
    /// entry for its id, or junk) does not keep a listing open: with
    /// `--timeout 500ms` it ends at 500 ms, listing that session once,
    /// though the answers go on for 30 s. A new session answering late
    /// does extend it, by the quiet gap, and its own repeats do not.
    #[tokio::test(start_paused = true)]
    async fn only_new_sessions_keep_a_listing_open() {
        let reply = crate::subject::new_entry_reply();
        let (subject, payload) = answer(&reply, &info());
        let mut other = info();
        other.host = "elsewhere".into();
        let (_, other_payload) = answer(&reply, &other);
        let ms = Duration::from_millis;
        let repeats = |count: usize| {
            (0..count).map(|i| {
                let again = match i % 4 {
                    0 => message(&subject, &payload),
                    1 => message(&subject, &other_payload),
                    2 => message(&subject, b"not json"),
                    _ => message(&format!("{reply}.s*.-"), &payload),
                };
                (ms(100), again)
            })
        };
        let first = (ms(10), message(&subject, &payload));
        let flood: Vec<_> = std::iter::once(first).chain(repeats(300)).collect();

        let asked = tokio::time::Instant::now();
        let mut listing = Listing::new(&reply);
        gather(&mut listing, arriving(flood.clone()), asked, ms(500)).await;
        assert_eq!(asked.elapsed(), ms(500), "the repeats did not stretch it");
        assert_eq!(listing.len(), 1);
        assert!(listing.ignored().answered_twice > 0 && listing.ignored().malformed > 0);
        assert_eq!(listing.into_sessions(), [info()]);

        // A second session answers at 410 ms, and again at once: the
        // listing ends a quiet gap after its first answer, past the wait,
        // whatever either keeps sending.
        let mut late = info();
        late.id = SessionId::parse("s2").unwrap();
        let (late_subject, late_payload) = answer(&reply, &late);
        let mut flood = flood;
        flood.insert(5, (ms(0), message(&late_subject, &late_payload)));
        flood.insert(6, (ms(0), message(&late_subject, &late_payload)));
        let asked = tokio::time::Instant::now();
        let mut listing = Listing::new(&reply);
        gather(&mut listing, arriving(flood), asked, ms(500)).await;
        assert_eq!(asked.elapsed(), ms(410) + LIST_QUIET);
        assert_eq!(listing.len(), 2);
    }

    /// "No responders" (no agent subscribed at all) ends a listing at once.
    #[tokio::test(start_paused = true)]
    async fn no_responders_ends_a_listing_at_once() {
        let reply = crate::subject::new_entry_reply();
        let mut nobody = message(&reply, b"");
        nobody.status = Some(StatusCode::NO_RESPONDERS);
        let asked = tokio::time::Instant::now();
        let mut listing = Listing::new(&reply);
        let answers = arriving(vec![(Duration::ZERO, nobody)]);
        gather(&mut listing, answers, asked, Duration::from_secs(1)).await;
        assert_eq!(asked.elapsed(), Duration::ZERO);
        assert!(listing.is_empty());
    }

    fn info() -> SessionInfo {
        SessionInfo {
            id: SessionId::parse("s1").unwrap(),
            user: Some(UserName::parse("vanessa").unwrap()),
            host: "pc-12".into(),
            os: "linux".into(),
            version: "0.1.0".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: BTreeMap::from([("dept".into(), "sales".into())]),
            xkey: SealingKey::parse(&nkeys::XKey::new_from_raw([7; 32]).public_key()),
        }
    }

    /// A listing's answer from `info` to `reply`, as an agent sends it.
    fn answer(reply: &str, info: &SessionInfo) -> (String, Vec<u8>) {
        entry_answer(reply, info).unwrap()
    }

    /// What an agent answers, a listing reads back unchanged: id and user
    /// from the subject, the rest from the payload.
    #[test]
    fn session_info_round_trips_through_an_entry() {
        let reply = crate::subject::new_entry_reply();
        let (subject, payload) = answer(&reply, &info());
        assert_eq!(subject, format!("{reply}.s1.76616e65737361"));
        let mut listing = Listing::new(&reply);
        assert!(listing.add(&subject, &payload));
        assert_eq!(listing.into_sessions(), [info()]);
    }

    /// An agent answers only a `sessions.entry.<one token>` reply subject.
    #[test]
    fn agents_answer_only_entry_replies() {
        for bad in [
            "_INBOX.x",
            "sessions.entry.a.b",
            "sessions.entry.",
            "sessions.entry.>",
        ] {
            assert_eq!(entry_answer(bad, &info()), None, "{bad}");
        }
    }

    /// The payload's own id or user fields (a forger's) change nothing: the
    /// subject names the session.
    #[test]
    fn identity_comes_from_the_subject_only() {
        let reply = crate::subject::new_entry_reply();
        let mut forged = serde_json::to_value(info()).unwrap();
        forged["id"] = "victim".into();
        forged["user"] = "vanessa".into();
        let mut listing = Listing::new(&reply);
        let subject = format!("{reply}.mallory.-");
        assert!(listing.add(&subject, forged.to_string().as_bytes()));
        let listed = listing.into_sessions();
        assert_eq!(listed[0].id.as_str(), "mallory");
        assert_eq!(listed[0].user, None);
    }

    /// A listing counts each id once (first wins, a different second answer
    /// is counted as answered twice), skips what is no entry, and lists by
    /// user then id.
    #[test]
    fn a_listing_counts_each_id_once_and_sorts() {
        let reply = crate::subject::new_entry_reply();
        let mut bob = info();
        bob.id = SessionId::parse("s0").unwrap();
        bob.user = Some(UserName::parse("bob").unwrap());
        let mut listing = Listing::new(&reply);
        let (subject, payload) = answer(&reply, &info());
        assert!(listing.add(&subject, &payload));
        assert!(!listing.add(&subject, &payload), "the same answer again");
        assert_eq!(
            listing.ignored().total(),
            0,
            "an identical repeat is no conflict"
        );
        let mut other = info();
        other.host = "elsewhere".into();
        let (subject2, payload2) = answer(&reply, &other);
        assert!(!listing.add(&subject2, &payload2));
        assert_eq!(listing.ignored().answered_twice, 1);
        assert!(!listing.add(&subject, b"not json"));
        let (subject, payload) = answer(&reply, &bob);
        assert!(listing.add(&subject, &payload));
        assert_eq!(listing.len(), 2);
        let listed = listing.into_sessions();
        assert_eq!(listed[1].host, "pc-12", "the first answer wins");
        let users: Vec<_> = listed
            .iter()
            .map(|s| UserName::shown(s.user.as_ref()))
            .collect();
        assert_eq!(users, ["bob", "vanessa"]);
    }

    /// Answers on a subject that is not `<reply>.<id>.<user>` (invalid id,
    /// extra or missing tokens, another listing's reply, bad hex) are ignored.
    #[test]
    fn malformed_entry_subjects_are_ignored() {
        let reply = crate::subject::new_entry_reply();
        let payload = info().entry_payload();
        let mut listing = Listing::new(&reply);
        for bad in [
            format!("{reply}.s1"),
            format!("{reply}.s1.-.x"),
            format!("{reply}.s*.-"),
            format!("{reply}.s1.ZZ"),
            format!("{}.s1.-", crate::subject::new_entry_reply()),
        ] {
            assert!(!listing.add(&bad, &payload), "{bad}");
        }
        assert_eq!(listing.ignored().malformed, 5);
        assert!(listing.is_empty());
    }

    /// Entries over 4 KiB are ignored; past 100,000 sessions new ids are
    /// ignored; the warning text names both counts.
    #[test]
    fn listings_are_bounded() {
        let reply = crate::subject::new_entry_reply();
        let mut listing = Listing::new(&reply);
        let mut big = info();
        big.labels.insert("pad".into(), "x".repeat(MAX_ENTRY_BYTES));
        let (subject, payload) = answer(&reply, &big);
        assert!(!listing.add(&subject, &payload));
        assert_eq!(listing.ignored().oversize, 1);
        let payload = info().entry_payload();
        for i in 0..MAX_SESSIONS {
            assert!(listing.add(&format!("{reply}.s{i}.-"), &payload));
        }
        assert!(!listing.add(&format!("{reply}.one-more.-"), &payload));
        assert_eq!(listing.len(), MAX_SESSIONS);
        let text = listing.ignored().to_string();
        assert!(
            text.starts_with("2 answer(s) ignored")
                && text.contains("1 over 4096 bytes")
                && text.contains("1 beyond 100000 sessions"),
            "{text}"
        );
    }

    /// A receipt counts only on `<Receipt-To>.<id>` with a payload naming
    /// that same id.
    #[test]
    fn receipts_name_the_session_of_their_subject() {
        let to = crate::subject::new_receipt_to();
        let s1 = SessionId::parse("s1").unwrap();
        let payload = serde_json::to_vec(&Receipt::delivered(&"m".into(), &s1)).unwrap();
        assert!(receipt_from(&to, &format!("{to}.s1"), &payload).is_some());
        assert_eq!(receipt_from(&to, &format!("{to}.s2"), &payload), None);
        assert_eq!(receipt_from(&to, &to, &payload), None);
        assert_eq!(receipt_from(&to, &format!("{to}.s1"), b"{}"), None);
    }

    /// `publisher sessions --json` has exactly the documented fields.
    #[test]
    fn json_has_exactly_the_documented_fields() {
        let v = serde_json::to_value(info()).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["host", "id", "labels", "os", "since", "user", "version", "xkey"]
        );
    }

    /// Receipts say delivered or read with the documented words, `read_ack` only when set;
    /// older receipts parse, receipts with an unknown status do not (senders ignore them).
    #[test]
    fn receipts_say_delivered_or_read_and_read_ack_is_optional() {
        let s1 = SessionId::parse("s1").unwrap();
        let delivered = serde_json::to_value(Receipt::delivered(&"m".into(), &s1)).unwrap();
        assert_eq!(delivered["status"], "delivered");
        assert!(delivered.get("read_ack").is_none());
        let acked =
            serde_json::to_value(Receipt::delivered(&"m".into(), &s1).with_read_ack(true)).unwrap();
        assert_eq!(acked["read_ack"], true);
        let read: Receipt =
            serde_json::from_value(serde_json::to_value(Receipt::read(&"m".into(), &s1)).unwrap())
                .unwrap();
        assert!(read.is_read() && read.read_ack.is_none());
        // Receipts from agents that predate read_ack still parse.
        let old: Receipt = serde_json::from_str(
            r#"{"id":"m","session":"s1","status":"delivered","at":"2026-11-22T21:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(old.read_ack, None);
        // A status this version does not know is not a receipt at all.
        let future = r#"{"id":"m","session":"s1","status":"seen","at":"2026-11-22T21:00:00Z"}"#;
        assert!(serde_json::from_str::<Receipt>(future).is_err());
        for status in [ReceiptStatus::Delivered, ReceiptStatus::Read] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                status.as_str(),
                "{status}"
            );
        }
    }

    /// A delivered receipt says how the message was shown, in the
    /// documented words, only when set; receipts without it (older agents)
    /// parse as not saying; unknown words are dropped and repeats kept once,
    /// and a `shown` that is no list says nothing, the receipt still
    /// counting.
    #[test]
    fn receipts_say_how_the_message_was_shown_and_old_ones_do_not() {
        let s1 = SessionId::parse("s1").unwrap();
        let plain = serde_json::to_value(Receipt::delivered(&"m".into(), &s1)).unwrap();
        assert!(plain.get("shown").is_none(), "{plain}");
        let ways = vec![ShownVia::Terminal, ShownVia::Exec];
        let shown = Receipt::delivered(&"m".into(), &s1).with_shown(ways.clone());
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["shown"], serde_json::json!(["terminal", "exec"]));
        let back: Receipt = serde_json::from_value(json).unwrap();
        assert_eq!(back.shown, ways);
        for way in [
            ShownVia::Desktop,
            ShownVia::Terminal,
            ShownVia::Json,
            ShownVia::Exec,
        ] {
            assert_eq!(serde_json::to_value(way).unwrap(), way.as_str());
        }
        let parse = |shown: &str| {
            let raw = format!(
                r#"{{"id":"m","session":"s1","status":"delivered","at":"2026-11-22T21:00:00Z"{shown}}}"#
            );
            serde_json::from_str::<Receipt>(&raw)
                .unwrap_or_else(|e| panic!("{raw}: {e}"))
                .shown
        };
        assert_eq!(parse(""), []);
        assert_eq!(
            parse(r#","shown":["hologram","desktop",7,"desktop","exec"]"#),
            [ShownVia::Desktop, ShownVia::Exec]
        );
        for not_a_list in [
            r#","shown":"desktop""#,
            r#","shown":null"#,
            r#","shown":{"a":1}"#,
        ] {
            assert_eq!(parse(not_a_list), [], "{not_a_list}");
        }
    }

    fn filter(raw: &[&str]) -> Where {
        let raw: Vec<String> = raw.iter().map(|s| s.to_string()).collect();
        Where::parse(&raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
    }

    /// Each field key compares its field (the user as `--user` does, the
    /// others exactly); any other key is a label; all conditions must hold;
    /// no condition matches everyone.
    #[test]
    fn where_matches_fields_and_labels_and_needs_all() {
        let s = info();
        for yes in [
            &["host=pc-12"][..],
            &["os=linux"],
            &["version=0.1.0"],
            &["user=VANESSA"],
            &["session=s1"],
            &["dept=sales"],
            &["label.dept=sales"],
            &["dept=sales", "user=vanessa", "os=linux"],
            &[],
        ] {
            assert!(filter(yes).matches(&s), "{yes:?}");
        }
        for no in [
            &["host=PC-12"][..],
            &["os=Linux"],
            &["version=0.1"],
            &["user=vaness"],
            &["session=S1"],
            &["dept=Sales"],
            &["dept=sales "],
            &["team=sales"],
            &["dept=sales", "os=windows"],
        ] {
            assert!(!filter(no).matches(&s), "{no:?}");
        }
        let mut nobody = info();
        nobody.user = None;
        assert!(filter(&["user="]).matches(&nobody), "user= is no user");
        assert!(!filter(&["user="]).matches(&s));
        assert!(filter(&["dept="]).matches(&{
            let mut blank = info();
            blank.labels.insert("dept".into(), String::new());
            blank
        }));
    }

    /// `label.KEY` reaches a label named like a field; a plain field key
    /// never looks at the labels. The value splits at the first `=`.
    #[test]
    fn label_prefix_reaches_labels_named_like_fields() {
        let mut s = info();
        s.labels.insert("host".into(), "kiosk".into());
        s.labels.insert("eq".into(), "a=b".into());
        assert!(filter(&["label.host=kiosk"]).matches(&s));
        assert!(!filter(&["host=kiosk"]).matches(&s));
        assert!(!filter(&["label.host=pc-12"]).matches(&s));
        assert!(filter(&["eq=a=b"]).matches(&s));
        assert_eq!(
            filter(&[
                "label.host=kiosk",
                "dept=sales",
                "os=linux",
                "label.label.x=1"
            ])
            .to_string(),
            "--where label.host=kiosk --where dept=sales --where os=linux --where label.label.x=1"
        );
        assert_eq!(
            filter(&["os=Windows 11 Pro", "user=", "eq=a=b"]).to_string(),
            "--where os=\"Windows 11 Pro\" --where user=\"\" --where eq=a=b"
        );
    }

    /// A `--where` without `=`, with an empty key, or with a label key the
    /// `--label` rule refuses is an error that says what to write.
    #[test]
    fn bad_wheres_say_what_to_write() {
        let err = |raw: &str| Where::parse(&[raw.to_owned()]).unwrap_err();
        assert_eq!(err("dept"), InvalidWhere::NoEquals("dept".into()));
        assert_eq!(err("=sales"), InvalidWhere::EmptyKey("=sales".into()));
        assert_eq!(
            err("sp ace=x"),
            InvalidWhere::BadLabelKey {
                raw: "sp ace=x".into(),
                key: "sp ace".into()
            }
        );
        assert!(matches!(err("label.=x"), InvalidWhere::BadLabelKey { key, .. } if key.is_empty()));
        for raw in ["dept", "=sales", "sp ace=x"] {
            let text = err(raw).to_string();
            assert!(text.contains("write KEY=VALUE"), "{text}");
        }
        // The first bad one is reported, whatever comes after.
        let raw = ["os=linux".to_owned(), "x".to_owned(), "=y".to_owned()];
        assert_eq!(Where::parse(&raw), Err(InvalidWhere::NoEquals("x".into())));
    }

    /// `--label` splits at the first `=`, and the key is 1 or more of the allowed characters.
    #[test]
    fn labels_are_key_equals_value() {
        assert_eq!(
            parse_label("dept=sales"),
            Ok(("dept".into(), "sales".into()))
        );
        assert_eq!(parse_label("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_label("nodelim").is_err());
        assert!(parse_label("=x").is_err());
        assert!(parse_label("sp ace=x").is_err());
    }
}
