//! Who is connected, and who got a message: the companion of 4D's
//! `Process activity (Sessions only)`.
//!
//! Each agent advertises itself as one instance of the NATS service
//! [`SERVICE_NAME`] (the NATS services API), its [`SessionInfo`] carried in the
//! service metadata. Listing sessions is then a scatter-gather on
//! `$SRV.PING.remote-message-agent`: every live agent answers, a stopped,
//! frozen or cut-off one does not. Standard tooling sees the same thing
//! (`nats micro ls`, `nats micro info remote-message-agent`).
//!
//! A [`Receipt`] is what an agent sends back, to the reply subject of a
//! message, once it has shown that message (`delivered`), and again when the
//! user acknowledged it (`read`), where its display can tell.

use crate::session_id::SessionId;
use async_nats::service::{PingResponse, Service, ServiceExt};
use async_nats::{Client, StatusCode};
use futures::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// Name of the NATS service every agent registers.
pub const SERVICE_NAME: &str = "remote-message-agent";

/// Subject a listing is requested on.
pub fn discovery_subject() -> String {
    format!("$SRV.PING.{SERVICE_NAME}")
}

/// How long a listing waits for answers when `--timeout` is not given.
pub const DEFAULT_LIST_WAIT: Duration = Duration::from_secs(1);

/// Prefix of label keys in the service metadata: `label.dept` = `sales`.
const LABEL_PREFIX: &str = "label.";

/// One live session, as `publisher sessions --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    /// OS login name, or `--user-name`.
    pub user: String,
    pub host: String,
    pub os: String,
    /// Agent version.
    pub version: String,
    /// When the session started.
    pub since: Timestamp,
    pub labels: BTreeMap<String, String>,
    /// Public curve25519 key (`X…`) messages to this session can be sealed to.
    pub xkey: Option<String>,
}

impl SessionInfo {
    /// The service metadata an agent advertises (the version travels as the
    /// service version).
    pub fn to_metadata(&self) -> HashMap<String, String> {
        let mut meta = HashMap::from([
            ("session_id".to_owned(), self.id.to_string()),
            ("user".to_owned(), self.user.clone()),
            ("host".to_owned(), self.host.clone()),
            ("os".to_owned(), self.os.clone()),
            ("since".to_owned(), self.since.to_string()),
        ]);
        for (key, value) in &self.labels {
            meta.insert(format!("{LABEL_PREFIX}{key}"), value.clone());
        }
        if let Some(xkey) = &self.xkey {
            meta.insert("xkey".to_owned(), xkey.clone());
        }
        meta
    }

    /// Reads an agent's answer; `None` for anything that is not one.
    pub fn from_ping(ping: &PingResponse) -> Option<SessionInfo> {
        let meta = &ping.metadata;
        let text = |key: &str| meta.get(key).cloned().unwrap_or_default();
        Some(SessionInfo {
            id: SessionId::parse(meta.get("session_id")?).ok()?,
            user: text("user"),
            host: text("host"),
            os: text("os"),
            version: ping.version.clone(),
            since: meta.get("since")?.parse().ok()?,
            labels: meta
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(LABEL_PREFIX)?.to_owned(), v.clone())))
                .collect(),
            xkey: meta.get("xkey").filter(|k| k.starts_with('X')).cloned(),
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
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(InvalidLabel::BadKey(key.to_owned()));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// Agent side: registers this session with the services API. The returned
/// service answers listings until it is dropped or the connection closes.
pub async fn advertise(client: &Client, info: &SessionInfo) -> Result<Service, async_nats::Error> {
    client
        .service_builder()
        .description("remote-message agent: shows messages on a user's screen")
        .metadata(info.to_metadata())
        .start(SERVICE_NAME, &info.version)
        .await
}

/// Ops side: every session that answers within `wait`, sorted by user then
/// id. Returns at once when no agent is subscribed at all.
pub async fn discover(
    client: &Client,
    wait: Duration,
) -> Result<Vec<SessionInfo>, async_nats::Error> {
    let inbox = client.new_inbox();
    let mut answers = client.subscribe(inbox.clone()).await?;
    client
        .publish_with_reply(discovery_subject(), inbox, Default::default())
        .await?;
    client.flush().await?;
    let deadline = tokio::time::Instant::now() + wait;
    let mut listing = Listing::default();
    while let Ok(Some(answer)) = tokio::time::timeout_at(deadline, answers.next()).await {
        if answer.status == Some(StatusCode::NO_RESPONDERS) {
            break;
        }
        listing.add(&answer.payload);
    }
    let _ = answers.unsubscribe().await;
    Ok(listing.into_sessions())
}

/// The answers to one session listing: each agent instance counted once
/// (a service answers a ping once per endpoint group), answers that are no
/// session info skipped. What [`discover`] gathers, and the benchmarks too.
#[derive(Debug, Default)]
pub struct Listing {
    instances: HashSet<String>,
    sessions: Vec<SessionInfo>,
}

impl Listing {
    /// Takes one answer's payload; true when it listed a new session.
    pub fn add(&mut self, payload: &[u8]) -> bool {
        let Ok(ping) = serde_json::from_slice::<PingResponse>(payload) else {
            return false;
        };
        if !self.instances.insert(ping.id.clone()) {
            return false;
        }
        match SessionInfo::from_ping(&ping) {
            Some(info) => {
                self.sessions.push(info);
                true
            }
            None => false,
        }
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
    pub fn into_sessions(mut self) -> Vec<SessionInfo> {
        self.sessions
            .sort_by(|a, b| (&a.user, &a.id).cmp(&(&b.user, &b.id)));
        self.sessions
    }
}

/// An agent's acknowledgement that it showed a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The message id.
    pub id: String,
    /// The session that showed it.
    pub session: SessionId,
    /// Shown, or acknowledged by the user.
    pub status: ReceiptStatus,
    pub at: Timestamp,
    /// On a delivered receipt: whether a read receipt can follow (the
    /// message is on a display with an OK action). Absent means no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ack: Option<bool>,
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
    pub fn delivered(id: &str, session: &SessionId) -> Receipt {
        Receipt::with_status(id, session, ReceiptStatus::Delivered)
    }

    /// The user acknowledged the message.
    pub fn read(id: &str, session: &SessionId) -> Receipt {
        Receipt::with_status(id, session, ReceiptStatus::Read)
    }

    /// Says whether a read receipt can follow this delivered one.
    pub fn with_read_ack(mut self, read_ack: bool) -> Receipt {
        self.read_ack = Some(read_ack);
        self
    }

    /// Whether this is a read receipt.
    pub fn is_read(&self) -> bool {
        self.status == ReceiptStatus::Read
    }

    fn with_status(id: &str, session: &SessionId, status: ReceiptStatus) -> Receipt {
        Receipt {
            id: id.to_owned(),
            session: session.clone(),
            status,
            at: Timestamp::now(),
            read_ack: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> SessionInfo {
        SessionInfo {
            id: SessionId::parse("s1").unwrap(),
            user: "vanessa".into(),
            host: "pc-12".into(),
            os: "linux".into(),
            version: "0.1.0".into(),
            since: "2026-11-22T08:00:00Z".parse().unwrap(),
            labels: BTreeMap::from([("dept".into(), "sales".into())]),
            xkey: Some("XAJ3EXAMPLE".into()),
        }
    }

    /// The answer of agent instance `instance` advertising `info`.
    fn ping(instance: &str, info: &SessionInfo) -> PingResponse {
        PingResponse {
            kind: "io.nats.micro.v1.ping_response".into(),
            name: SERVICE_NAME.into(),
            id: instance.into(),
            version: "0.1.0".into(),
            metadata: info.to_metadata(),
        }
    }

    /// What an agent advertises in its service metadata, a listing reads back unchanged.
    #[test]
    fn session_info_round_trips_through_service_metadata() {
        assert_eq!(
            SessionInfo::from_ping(&ping("instance", &info())),
            Some(info())
        );
    }

    /// A listing counts each agent instance once, skips what is no session
    /// answer, and lists by user then id.
    #[test]
    fn a_listing_counts_each_instance_once_and_sorts() {
        let mut bob = info();
        bob.id = SessionId::parse("s0").unwrap();
        bob.user = "bob".into();
        let payload =
            |instance: &str, info: &SessionInfo| serde_json::to_vec(&ping(instance, info)).unwrap();
        let mut listing = Listing::default();
        assert!(listing.add(&payload("i1", &info())));
        assert!(
            !listing.add(&payload("i1", &info())),
            "the same instance again"
        );
        assert!(!listing.add(b"not json"));
        assert!(listing.add(&payload("i2", &bob)));
        assert_eq!(listing.len(), 2);
        let users: Vec<_> = listing
            .into_sessions()
            .into_iter()
            .map(|s| s.user)
            .collect();
        assert_eq!(users, ["bob", "vanessa"]);
    }

    /// A service answer whose session id is invalid is no session.
    #[test]
    fn foreign_or_broken_answers_are_skipped() {
        let mut meta = info().to_metadata();
        meta.insert("session_id".into(), "a.b".into());
        let ping = PingResponse {
            kind: String::new(),
            name: SERVICE_NAME.into(),
            id: "x".into(),
            version: "1.0.0".into(),
            metadata: meta,
        };
        assert_eq!(SessionInfo::from_ping(&ping), None);
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
        let delivered = serde_json::to_value(Receipt::delivered("m", &s1)).unwrap();
        assert_eq!(delivered["status"], "delivered");
        assert!(delivered.get("read_ack").is_none());
        let acked = serde_json::to_value(Receipt::delivered("m", &s1).with_read_ack(true)).unwrap();
        assert_eq!(acked["read_ack"], true);
        let read: Receipt =
            serde_json::from_value(serde_json::to_value(Receipt::read("m", &s1)).unwrap()).unwrap();
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
