//! Send ids and the message ids made from them, each built in one place.
//!
//! One `publisher send` has a send id (`--id`, else a random one): a
//! broadcast's message id is the send id, a session message's is
//! `<send id>-<session id>`. A retried send with the same id so gives every
//! message the id it had, and agents and JetStream de-duplicate it.
//!
//! A message id is a [`MessageId`] wherever it goes: the envelope, the
//! `Nats-Msg-Id` header, a sealed message's clear part, receipts, the agent's
//! journal, the publisher's report.

use crate::session_id::{InvalidSessionId, SessionId};
use crate::subject::Target;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of one send: the session id alphabet (1 to 64 characters of
/// `A-Z a-z 0-9 _ -`), so the message ids made from it stay subject tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SendId(String);

impl SendId {
    /// Checks `raw` against the session id rule.
    pub fn parse(raw: &str) -> Result<SendId, InvalidSessionId> {
        SessionId::parse(raw).map(|id| SendId(id.to_string()))
    }

    /// A fresh random id, for a send without `--id`.
    pub fn random() -> SendId {
        SendId(SessionId::random().to_string())
    }

    /// The message id of this send's message to `target`: the send id for
    /// a broadcast, `<send id>-<session id>` for a session.
    pub fn message_id(&self, target: &Target) -> MessageId {
        MessageId(match target {
            Target::Broadcast => self.0.clone(),
            Target::Session(session) => format!("{}-{session}", self.0),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for SendId {
    /// Only a valid send id: a record naming anything else is refused.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<str>::deserialize(deserializer)?;
        SendId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for SendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of one message. The ids `publisher send` makes follow the
/// session id rule ([`SendId::message_id`]), but an agent takes whatever
/// id a message comes with (its `id`, else its `Nats-Msg-Id` header), so
/// any string is one; on the wire it is that string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// `raw` as it came: from a payload, a header, a receipt, or made up.
    pub fn new(raw: impl Into<String>) -> MessageId {
        MessageId(raw.into())
    }

    /// A fresh unique id, for a message that came without one.
    pub fn random() -> MessageId {
        MessageId(nuid::next().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The send this message belongs to, as an agent tells it from the
    /// subject it came on: the inverse of [`SendId::message_id`]. On
    /// `session.<id>` an id ending in `-<id>` gives what comes before;
    /// otherwise (a broadcast, or another client's id) the whole id.
    /// `None` when that is no valid send id: the agent then keeps no ledger
    /// for the message.
    pub fn send_id(&self, target: &Target) -> Option<SendId> {
        let send = match target {
            Target::Session(session) => self
                .0
                .strip_suffix(session.as_str())
                .and_then(|rest| rest.strip_suffix('-'))
                .unwrap_or(&self.0),
            Target::Broadcast => &self.0,
        };
        SendId::parse(send).ok()
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for MessageId {
    fn from(raw: &str) -> MessageId {
        MessageId::new(raw)
    }
}

impl From<String> for MessageId {
    fn from(raw: String) -> MessageId {
        MessageId::new(raw)
    }
}

impl PartialEq<str> for MessageId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for MessageId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An agent finds the send of every id the publisher makes, and of
    /// other clients' ids when they are valid send ids.
    #[test]
    fn the_send_id_comes_back_from_the_message_id() {
        let send = SendId::parse("a-b_1").unwrap();
        let bob = Target::Session("bob".parse().unwrap());
        for target in [Target::Broadcast, bob.clone()] {
            assert_eq!(
                send.message_id(&target).send_id(&target),
                Some(send.clone())
            );
        }
        assert_eq!(MessageId::new("x").send_id(&bob), SendId::parse("x").ok());
        assert_eq!(
            MessageId::new("x-alice").send_id(&bob),
            SendId::parse("x-alice").ok()
        );
        assert_eq!(
            MessageId::new("-bob").send_id(&bob),
            None,
            "no send id before the session"
        );
        assert_eq!(MessageId::new("a.b").send_id(&Target::Broadcast), None);
        assert_eq!(MessageId::new("a b-bob").send_id(&bob), None);
    }

    /// A broadcast's message id is the send id; a session's adds the session.
    #[test]
    fn message_ids_are_made_from_the_send_id() {
        let send = SendId::parse("send1").unwrap();
        assert_eq!(send.message_id(&Target::Broadcast), "send1");
        let bob = Target::Session("bob".parse().unwrap());
        assert_eq!(send.message_id(&bob), "send1-bob");
        assert!(SendId::parse("a.b").is_err());
        assert!(SendId::parse(SendId::random().as_str()).is_ok());
    }

    /// A message id is its string on the wire, in JSON too.
    #[test]
    fn message_ids_are_their_string_on_the_wire() {
        let id = SendId::parse("send1")
            .unwrap()
            .message_id(&Target::Broadcast);
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""send1""#);
        assert_eq!(
            serde_json::from_str::<MessageId>(r#""x y""#).unwrap(),
            "x y"
        );
        assert_ne!(MessageId::random(), MessageId::random());
    }
}
