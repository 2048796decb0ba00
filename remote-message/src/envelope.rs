//! The message payload: a UTF-8 JSON object (see `docs/protocol.md`).
//!
//! The publisher builds an [`Envelope`]; the agent turns *any* payload into an
//! [`Incoming`] message or a [`Rejection`] with [`decode`]. Decoding is lenient
//! on purpose: plain text from `nats pub broadcast hello` is shown as is,
//! unknown fields are ignored, and a known field of the wrong type is treated
//! as absent, so that no payload can stop an agent.

use crate::answer::Answers;
use crate::event::RefusalReason;
use crate::priority::Priority;
use crate::send_id::{MessageId, SendId};
use jiff::{Timestamp, Unit};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// Header carrying the message id, which JetStream also uses for de-duplication.
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// Header naming the subject a sender waits on for receipts. A header, not
/// the NATS reply subject, so that the stream's own acknowledgement and the
/// agents' receipts never share an inbox.
pub const RECEIPT_TO_HEADER: &str = "Receipt-To";

/// How long a message with reminders stays when the send gave no `--ttl`:
/// a working day, so a forgotten reminder does not ring through the night.
pub const DEFAULT_REMIND_TTL: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

/// A message as the publisher sends it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Envelope {
    /// Unique id; also sent as the `Nats-Msg-Id` header.
    pub id: MessageId,
    /// The text to show; never blank, except in a recall order (left out).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it was sent, RFC 3339 in UTC.
    pub sent_at: Timestamp,
    /// Who sent it, e.g. `ops@host`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// After this instant agents no longer show it (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// How strongly it asks for attention; absent means normal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The answers offered as buttons (`--answer`); left out when none.
    #[serde(skip_serializing_if = "Answers::is_empty")]
    pub answers: Answers,
    /// Show it again every this many seconds until read or answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remind_every: Option<u64>,
    /// In a recall order only: the send whose messages agents take down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<SendId>,
    /// Public key (`U…`) that signed it (`Envelope::sign`, in `signing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// Signature, unpadded base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// Why a text or title cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidText {
    #[error("the message text is empty: give the text to show, or - to read it from stdin")]
    EmptyText,
    #[error("the title is empty: leave --title out, or give it some text")]
    EmptyTitle,
}

impl Envelope {
    /// A new message with a fresh id, stamped now.
    pub fn new(
        text: String,
        title: Option<String>,
        sender: Option<String>,
    ) -> Result<Envelope, InvalidText> {
        Envelope::with_id(MessageId::random(), text, title, sender)
    }

    /// A new message with the given id, stamped now.
    pub fn with_id(
        id: MessageId,
        text: String,
        title: Option<String>,
        sender: Option<String>,
    ) -> Result<Envelope, InvalidText> {
        if text.trim().is_empty() {
            return Err(InvalidText::EmptyText);
        }
        if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(InvalidText::EmptyTitle);
        }
        Ok(Envelope {
            id,
            text,
            title,
            sent_at: Timestamp::now()
                .round(Unit::Millisecond)
                .unwrap_or_else(|_| Timestamp::now()),
            sender: sender.filter(|s| !s.trim().is_empty()),
            expires_at: None,
            priority: None,
            answers: Answers::default(),
            remind_every: None,
            recall: None,
            signer: None,
            sig: None,
        })
    }

    /// The order that takes send `send` down from every screen: published
    /// on `broadcast`, with no text (agents before recalls ignore it).
    pub fn recall(send: &SendId, sender: Option<String>) -> Envelope {
        let mut order = Envelope::with_id(
            MessageId::new(format!("{send}-recall")),
            "recall".to_owned(),
            None,
            sender,
        )
        .expect("a non-blank text");
        order.text.clear();
        order.recall = Some(send.clone());
        order
    }

    /// Offers `answers` as buttons.
    pub fn with_answers(mut self, answers: Answers) -> Envelope {
        self.answers = answers;
        self
    }

    /// Shows it again every `every` (whole seconds, at least 1) until read
    /// or answered; without an expiry it gets [`DEFAULT_REMIND_TTL`].
    pub fn reminding_every(mut self, every: std::time::Duration) -> Envelope {
        self.remind_every = Some(every.as_secs().max(1));
        if self.expires_at.is_none() {
            self = self.expiring_after(DEFAULT_REMIND_TTL);
        }
        self
    }

    /// Sets the priority (`None`: left out, which agents read as normal).
    pub fn with_priority(mut self, priority: Option<Priority>) -> Envelope {
        self.priority = priority;
        self
    }

    /// Sets `expires_at` to `ttl` after `sent_at`.
    pub fn expiring_after(mut self, ttl: std::time::Duration) -> Envelope {
        let ttl = jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::MAX);
        self.expires_at = Some(self.sent_at.saturating_add(ttl).unwrap_or(Timestamp::MAX));
        self
    }

    /// The JSON payload.
    pub fn to_payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an envelope always serializes")
    }
}

/// Bytes the server counts against its `max_payload` for a message with these
/// headers: the header block (`NATS/1.0\r\n`, `name: value\r\n` each, `\r\n`)
/// plus the payload.
pub fn wire_size(headers: &[(&str, &str)], payload_len: usize) -> usize {
    let block: usize = headers
        .iter()
        .map(|(name, value)| name.len() + 2 + value.len() + 2)
        .sum();
    "NATS/1.0\r\n".len() + block + 2 + payload_len
}

/// Whether the payload was a JSON envelope or plain text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    #[default]
    Text,
}

/// A message as an agent received it, whatever client sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incoming {
    /// The sender's id; else the `Nats-Msg-Id` header; else one the agent made up.
    pub id: MessageId,
    pub text: String,
    pub title: Option<String>,
    /// `None` when absent or not RFC 3339.
    pub sent_at: Option<Timestamp>,
    pub sender: Option<String>,
    /// `None` when absent or not RFC 3339: such a message never expires.
    pub expires_at: Option<Timestamp>,
    /// Normal when absent or not one of the four words.
    pub priority: Priority,
    /// The valid labels of its `answers` (none: it asks nothing).
    pub answers: Answers,
    /// Its `remind_every`, when a whole number of seconds above 0.
    pub remind_every: Option<std::time::Duration>,
    /// Set in a recall order: the send to take down (its `text` is empty).
    pub recall: Option<SendId>,
    /// Who signed it and the signature, if it is signed.
    pub signer: Option<String>,
    pub sig: Option<String>,
    /// For a signed message (both `signer` and `sig`): `sent_at` and
    /// `expires_at` exactly as the payload wrote them, which is what the
    /// signature covers (see [`crate::signing`]); `None` otherwise.
    pub signed_times: Option<WireTimes>,
    pub format: Format,
}

/// The two timestamps as the payload carried them: the JSON strings, not
/// the instants they parse to (`…00.000Z` and `…00Z` are one instant, and
/// two different signatures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireTimes {
    pub sent_at: Option<String>,
    pub expires_at: Option<String>,
}

impl Incoming {
    /// Whether the message must no longer be shown at `now` (the agent's clock).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

/// Why an agent did not show a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("payload of {0} bytes is not valid UTF-8")]
    NotUtf8(usize),
    #[error("payload is empty")]
    Empty,
    #[error("JSON object has no non-empty string \"text\" field")]
    NoText,
}

impl Rejection {
    /// The `reason` of the `message_refused` event it is logged with.
    pub fn reason(&self) -> RefusalReason {
        match self {
            Rejection::NotUtf8(_) => RefusalReason::NotUtf8,
            Rejection::Empty => RefusalReason::Empty,
            Rejection::NoText => RefusalReason::NoText,
        }
    }
}

/// Turns any payload into a message to show, or says why not.
///
/// `header_id` is the `Nats-Msg-Id` header, if the message had one.
pub fn decode(payload: &[u8], header_id: Option<&str>) -> Result<Incoming, Rejection> {
    // The same check as `std::str::from_utf8`, vectorised (it was 5 % of the
    // agent's receive path; the payload is mostly the text).
    let raw = simdutf8::basic::from_utf8(payload).map_err(|_| Rejection::NotUtf8(payload.len()))?;
    if raw.trim().is_empty() {
        return Err(Rejection::Empty);
    }
    let fallback_id = || fallback_id(header_id);
    // Only something that looks like an object is tried as JSON: `"hi"`, `42`
    // or `[1]` are shown as the text they are.
    if raw.trim_start().starts_with('{') {
        // The common case first: a text without escapes, read as raw bytes
        // ([`PlainText`]). What it refuses goes through the strict passes.
        if let Ok(wire) = serde_json::from_str::<Wire<PlainText>>(raw) {
            if let Some(wire) = wire.plain(raw) {
                return wire.into_incoming(fallback_id);
            }
        }
        // One typed pass, borrowing the strings. What it refuses (a repeated
        // key, for instance) is read into a `Value` first, where the last of
        // repeated keys wins, and then into the same `Wire`: one set of rules.
        if let Ok(wire) = serde_json::from_str::<Wire>(raw) {
            return wire.into_incoming(fallback_id);
        }
        if let Ok(object @ Value::Object(_)) = serde_json::from_str::<Value>(raw) {
            if let Ok(wire) = Wire::deserialize(object) {
                return wire.into_incoming(fallback_id);
            }
        }
    }
    Ok(Incoming {
        id: fallback_id(),
        text: raw.trim_end().to_owned(),
        title: None,
        sent_at: None,
        sender: None,
        expires_at: None,
        format: Format::Text,
        ..Incoming::default()
    })
}

/// [`decode`] of a payload that is certainly not sealed, in one pass; `None`
/// when that pass cannot tell, and the caller checks
/// [`crate::sealing::as_sealed`] and decodes as before. Certain means: an
/// object the fast pass reads (UTF-8, a plain text) with no `sealed_by` key
/// holding anything but `null`, which a sealed message needs as a string.
/// This spares the agent the search for `"sealed_by"` over every payload.
pub fn decode_unsealed(
    payload: &[u8],
    header_id: Option<&str>,
) -> Option<Result<Incoming, Rejection>> {
    let raw = simdutf8::basic::from_utf8(payload).ok()?;
    if !raw.trim_start().starts_with('{') {
        return None;
    }
    let wire = serde_json::from_str::<Wire<PlainText>>(raw).ok()?;
    if wire.sealed_by.is_some() {
        return None;
    }
    let wire = wire.plain(raw)?;
    Some(wire.into_incoming(|| fallback_id(header_id)))
}

/// The id of a message without one of its own: the `Nats-Msg-Id` header,
/// else a fresh one.
fn fallback_id(header_id: Option<&str>) -> MessageId {
    header_id
        .filter(|h| !h.is_empty())
        .map_or_else(MessageId::random, MessageId::new)
}

/// The known fields of a JSON payload, each kept only when it is a
/// non-blank string: the one place the lenient rules live, read from the
/// payload text (borrowing) or from a parsed `Value` alike. `T` is how the
/// text is read: [`Lenient`] like the others, or [`PlainText`] on the fast
/// pass.
#[derive(Deserialize)]
struct Wire<'a, T = Lenient<'a>> {
    #[serde(default)]
    text: T,
    #[serde(borrow, default)]
    id: Lenient<'a>,
    #[serde(borrow, default)]
    title: Lenient<'a>,
    #[serde(borrow, default)]
    sender: Lenient<'a>,
    #[serde(borrow, default)]
    sent_at: Lenient<'a>,
    #[serde(borrow, default)]
    expires_at: Lenient<'a>,
    #[serde(borrow, default)]
    priority: Lenient<'a>,
    #[serde(default)]
    answers: Labels,
    #[serde(default)]
    remind_every: Seconds,
    #[serde(borrow, default)]
    recall: Lenient<'a>,
    #[serde(borrow, default)]
    signer: Lenient<'a>,
    #[serde(borrow, default)]
    sig: Lenient<'a>,
    /// Present (not `null`): it may be a sealed message ([`decode_unsealed`]).
    #[serde(default)]
    sealed_by: Option<IgnoredAny>,
}

impl<'a> Wire<'a, PlainText<'a>> {
    /// The same fields with the text as the strict pass reads it, or `None`
    /// when the fast pass cannot tell (see [`PlainText`]).
    fn plain(self, raw: &'a str) -> Option<Wire<'a>> {
        let text = self.text.within(raw)?;
        Some(Wire {
            text: Lenient::keep(Cow::Borrowed(text)),
            id: self.id,
            title: self.title,
            sender: self.sender,
            sent_at: self.sent_at,
            expires_at: self.expires_at,
            priority: self.priority,
            answers: self.answers,
            remind_every: self.remind_every,
            recall: self.recall,
            signer: self.signer,
            sig: self.sig,
            sealed_by: self.sealed_by,
        })
    }
}

impl Wire<'_> {
    fn into_incoming(self, fallback_id: impl FnOnce() -> MessageId) -> Result<Incoming, Rejection> {
        let recall = self.recall.get().and_then(|r| SendId::parse(r).ok());
        // A recall order needs no text; any other message does.
        let text = match (self.text.owned(), &recall) {
            (Some(text), _) => text,
            (None, Some(_)) => String::new(),
            (None, None) => return Err(Rejection::NoText),
        };
        // Kept only when a signature may need them: no copy for the others.
        let signed_times =
            (self.signer.get().is_some() && self.sig.get().is_some()).then(|| WireTimes {
                sent_at: self.sent_at.get().map(str::to_owned),
                expires_at: self.expires_at.get().map(str::to_owned),
            });
        Ok(Incoming {
            id: self.id.owned().map_or_else(fallback_id, MessageId::new),
            text,
            title: self.title.owned(),
            sent_at: self.sent_at.get().and_then(|s| s.parse().ok()),
            sender: self.sender.owned(),
            expires_at: self.expires_at.get().and_then(|s| s.parse().ok()),
            priority: self
                .priority
                .get()
                .and_then(Priority::from_wire)
                .unwrap_or_default(),
            answers: Answers::lenient(self.answers.0),
            remind_every: self.remind_every.0.map(std::time::Duration::from_secs),
            recall,
            signer: self.signer.owned(),
            sig: self.sig.owned(),
            signed_times,
            format: Format::Json,
        })
    }
}

/// The text read as raw bytes, for speed: serde_json hands a string's bytes
/// over after a vectorised search for its closing quote (`memchr2`), where
/// reading it as a `str` checks every byte for control characters eight at
/// a time, which was the agent's largest cost (issue 13's benchmarks, in
/// BENCHMARKS.md's git history).
/// Accepted only when the result is what the strict pass gives: a string
/// without escapes (else its bytes are a copy) and without control
/// characters (which make the payload not JSON); anything else, or a text
/// that is not a string, fails this pass and the strict ones decide.
#[derive(Default)]
struct PlainText<'a>(Option<&'a [u8]>);

impl<'a> PlainText<'a> {
    /// The text as a part of `raw`, the payload it was read from: valid
    /// UTF-8 there, since it lies between two quotes of a `str`.
    fn within(&self, raw: &'a str) -> Option<&'a str> {
        let bytes = self.0?;
        let start = (bytes.as_ptr() as usize).checked_sub(raw.as_ptr() as usize)?;
        raw.get(start..start.checked_add(bytes.len())?)
    }
}

/// Whether `bytes` has a control character (below 0x20), which JSON forbids
/// inside a string. The minimum of each whole block of 64, without an early
/// exit inside a block, is what the compiler vectorises (0.4 instructions a
/// byte where `Iterator::min` on uneven blocks took 2).
fn has_control_character(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(64);
    blocks
        .by_ref()
        .any(|block| block.iter().fold(u8::MAX, |least, &b| least.min(b)) < 0x20)
        || blocks.remainder().iter().any(|&b| b < 0x20)
}

impl<'de: 'a, 'a> Deserialize<'de> for PlainText<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = PlainText<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string without escapes or control characters")
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(
                self,
                v: &'de [u8],
            ) -> Result<Self::Value, E> {
                if has_control_character(v) {
                    return Err(E::custom("a control character in the text"));
                }
                Ok(PlainText(Some(v)))
            }
        }
        deserializer.deserialize_bytes(Visit)
    }
}

/// Any JSON value, of which only the strings of an array are kept (the
/// `answers`; [`Answers::lenient`] then keeps the valid ones).
#[derive(Default)]
struct Labels(Vec<String>);

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let Value::Array(items) = value else {
            return Ok(Labels::default());
        };
        Ok(Labels(
            items
                .into_iter()
                // A bounded number: a payload of a million labels costs no more.
                .take(4 * crate::answer::MAX_ANSWERS)
                .filter_map(|item| match item {
                    Value::String(label) => Some(label),
                    _ => None,
                })
                .collect(),
        ))
    }
}

/// Any JSON value, of which only a whole number of seconds above 0 is kept
/// (the `remind_every`).
#[derive(Default)]
struct Seconds(Option<u64>);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(Seconds(value.as_u64().filter(|&s| s > 0)))
    }
}

/// Any JSON value, of which only a non-blank string is kept.
#[derive(Default)]
struct Lenient<'a>(Option<Cow<'a, str>>);

impl<'a> Lenient<'a> {
    /// The rule: a string is kept unless it is blank.
    fn keep(v: Cow<'a, str>) -> Lenient<'a> {
        // Blank is all whitespace: trimming one end tells.
        Lenient((!v.trim_start().is_empty()).then_some(v))
    }

    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    fn owned(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Lenient<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient::keep(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient::keep(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient::keep(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope::new(
            "Server restarts at 10pm".into(),
            Some("Maintenance".into()),
            Some("ops@host".into()),
        )
        .unwrap()
    }

    /// What the publisher builds, an agent decodes to the same id, text, title, sender and time, as JSON.
    #[test]
    fn envelope_round_trips_through_decode() {
        let sent = envelope();
        let got = decode(&sent.to_payload(), None).unwrap();
        assert_eq!(got.id, sent.id);
        assert_eq!(got.text, sent.text);
        assert_eq!(got.title, sent.title);
        assert_eq!(got.sender, sent.sender);
        assert_eq!(got.sent_at, Some(sent.sent_at));
        assert_eq!(got.format, Format::Json);
    }

    /// The payload has exactly the keys `docs/protocol.md` lists, `sent_at` in UTC, and
    /// leaves absent optional fields out rather than writing `null`.
    #[test]
    fn payload_is_the_documented_json_object() {
        let sent = envelope();
        let v: Value = serde_json::from_slice(&sent.to_payload()).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "sender", "sent_at", "text", "title"]);
        let sent_at = v["sent_at"].as_str().unwrap();
        assert!(sent_at.ends_with('Z'), "{sent_at} is not UTC");
        // Optional fields are left out, not null.
        let bare = Envelope::new("hi".into(), None, None).unwrap();
        let v: Value = serde_json::from_slice(&bare.to_payload()).unwrap();
        assert!(v.get("title").is_none() && v.get("sender").is_none());
    }

    /// A signed payload keeps its two timestamps exactly as written (what
    /// its signature covers), beside the instants they name; an unsigned
    /// one, or one with only half a signature, keeps no copy.
    #[test]
    fn a_signed_payload_keeps_its_timestamps_as_written() {
        let times =
            r#""sent_at":"2026-11-22T21:00:00.000Z","expires_at":"2026-11-22T23:00:00+01:00""#;
        let signed = format!(r#"{{"text":"hi",{times},"signer":"U1","sig":"s"}}"#);
        let got = decode(signed.as_bytes(), None).unwrap();
        assert_eq!(
            got.signed_times,
            Some(WireTimes {
                sent_at: Some("2026-11-22T21:00:00.000Z".into()),
                expires_at: Some("2026-11-22T23:00:00+01:00".into()),
            })
        );
        assert_eq!(got.sent_at, Some("2026-11-22T21:00:00Z".parse().unwrap()));
        assert_eq!(
            got.expires_at,
            Some("2026-11-22T22:00:00Z".parse().unwrap())
        );
        for unsigned in [
            format!(r#"{{"text":"hi",{times}}}"#),
            format!(r#"{{"text":"hi",{times},"signer":"U1"}}"#),
        ] {
            let got = decode(unsigned.as_bytes(), None).unwrap();
            assert_eq!(got.signed_times, None, "{unsigned}");
            assert!(got.sent_at.is_some());
        }
    }

    /// `--ttl` sets `expires_at` after `sent_at`; it travels, and a message is expired from
    /// that instant on; a message without one never expires.
    #[test]
    fn ttl_sets_expiry_and_expired_messages_are_known() {
        let sent = Envelope::new("x".into(), None, None)
            .unwrap()
            .expiring_after(std::time::Duration::from_secs(30));
        assert_eq!(
            sent.expires_at,
            Some(sent.sent_at + jiff::SignedDuration::from_secs(30))
        );
        let got = decode(&sent.to_payload(), None).unwrap();
        assert_eq!(got.expires_at, sent.expires_at);
        assert!(!got.is_expired(sent.sent_at));
        assert!(got.is_expired(sent.expires_at.unwrap()));
        let never = decode(b"plain", None).unwrap();
        assert!(!never.is_expired(Timestamp::MAX));
    }

    /// A blank text or a blank title cannot be sent.
    #[test]
    fn blank_text_or_title_is_refused() {
        assert_eq!(
            Envelope::new(" \n".into(), None, None),
            Err(InvalidText::EmptyText)
        );
        assert_eq!(
            Envelope::new("x".into(), Some("".into()), None),
            Err(InvalidText::EmptyTitle)
        );
    }

    /// Two new envelopes never share an id.
    #[test]
    fn ids_are_unique() {
        assert_ne!(envelope().id, envelope().id);
    }

    /// The size checked against the server's limit counts the header block as NATS does.
    #[test]
    fn wire_size_counts_the_header_block() {
        let id = envelope().id;
        let block = format!("NATS/1.0\r\n{MSG_ID_HEADER}: {id}\r\nReceipt-To: _INBOX.x\r\n\r\n");
        let headers = [
            (MSG_ID_HEADER, id.as_str()),
            (RECEIPT_TO_HEADER, "_INBOX.x"),
        ];
        assert_eq!(wire_size(&headers, 10), block.len() + 10);
    }

    /// Plain text and JSON that is not an object (a string, a number, a list) are shown as
    /// the text they are.
    #[test]
    fn plain_text_and_non_objects_are_shown_as_text() {
        for raw in ["hello", "\"quoted\"", "42", "[1,2]", "{not json", "null"] {
            let got = decode(raw.as_bytes(), None).unwrap();
            assert_eq!((got.text.as_str(), got.format), (raw, Format::Text));
        }
    }

    /// An object with only a text, from a foreign client, gets the header's id, else a fresh one.
    #[test]
    fn minimal_foreign_object_gets_an_id() {
        let got = decode(br#"{"text":"hi"}"#, None).unwrap();
        assert_eq!(got.text, "hi");
        assert!(!got.id.as_str().is_empty());
        let got = decode(br#"{"text":"hi"}"#, Some("from-header")).unwrap();
        assert_eq!(got.id, "from-header");
    }

    /// Unknown fields are ignored and a known field of the wrong type counts as absent:
    /// no payload stops an agent.
    #[test]
    fn unknown_fields_are_ignored_and_wrong_types_are_absent() {
        let got = decode(
            br#"{"text":"hi","title":7,"sent_at":"yesterday","sender":null,"future":{"x":1}}"#,
            None,
        )
        .unwrap();
        assert_eq!(got.text, "hi");
        assert_eq!((got.title, got.sent_at, got.sender), (None, None, None));
    }

    /// Bytes that are not UTF-8, empty payloads and objects without a usable text are
    /// rejected with their reason.
    #[test]
    fn unusable_payloads_are_rejected_not_panicked_on() {
        assert_eq!(decode(b"\xff\xfe", None), Err(Rejection::NotUtf8(2)));
        assert_eq!(decode(b"", None), Err(Rejection::Empty));
        assert_eq!(decode(b"  \n", None), Err(Rejection::Empty));
        for raw in [
            r#"{}"#,
            r#"{"text":""}"#,
            r#"{"text":5}"#,
            r#"{"title":"t"}"#,
        ] {
            assert_eq!(
                decode(raw.as_bytes(), None),
                Err(Rejection::NoText),
                "{raw}"
            );
        }
    }

    /// The priority travels as its word; absent, unknown or not a string reads as normal.
    #[test]
    fn priority_travels_and_unknown_or_absent_is_normal() {
        let sent = envelope().with_priority(Some(Priority::Urgent));
        let v: Value = serde_json::from_slice(&sent.to_payload()).unwrap();
        assert_eq!(v["priority"], "urgent");
        assert_eq!(
            decode(&sent.to_payload(), None).unwrap().priority,
            Priority::Urgent
        );
        assert!(
            serde_json::from_slice::<Value>(&envelope().to_payload()).unwrap()["priority"]
                .is_null()
        );
        for raw in [
            r#"{"text":"hi"}"#,
            r#"{"text":"hi","priority":"critical"}"#,
            r#"{"text":"hi","priority":3}"#,
        ] {
            assert_eq!(
                decode(raw.as_bytes(), None).unwrap().priority,
                Priority::Normal,
                "{raw}"
            );
        }
        assert_eq!(decode(b"plain", None).unwrap().priority, Priority::Normal);
    }

    /// The fast typed pass reads every payload exactly as the general one.
    #[test]
    fn typed_and_general_decoding_agree() {
        let payloads = [
            r#"{"text":"hi"}"#,
            r#"{"text":"a \"quoted\" \u00e9 line\nbreak","title":"T","id":"x-1"}"#,
            r#"{"text":"hi","title":7,"sent_at":"yesterday","sender":null,"future":{"x":[1,{"y":2}]}}"#,
            r#"{"text":"hi","sent_at":"2026-11-22T21:00:00.123Z","expires_at":"2026-11-22T23:00:00Z"}"#,
            r#"{"text":"hi","priority":"urgent","signer":"U1","sig":"s","list":[true,false,1.5,-3]}"#,
            r#"{"text":"  ","title":"t"}"#,
            r#"{"text":["no"]}"#,
            r#"{"id":"only"}"#,
        ];
        for raw in payloads {
            let value = serde_json::from_str::<Value>(raw).unwrap();
            let general = Wire::deserialize(value)
                .unwrap()
                .into_incoming(|| "fallback".into());
            let typed = serde_json::from_str::<Wire>(raw)
                .unwrap()
                .into_incoming(|| "fallback".into());
            assert_eq!(typed, general, "{raw}");
        }
        // A repeated key: the general pass decides (the last one wins).
        let got = decode(br#"{"text":"first","text":"second"}"#, None).unwrap();
        assert_eq!(got.text, "second");
    }

    /// The fast pass (text as raw bytes) takes a text without escapes or
    /// control characters, and gives what the strict passes give; it leaves
    /// every other payload to them, so that `decode` reads all alike.
    #[test]
    fn fast_pass_takes_plain_texts_only_and_agrees() {
        let strict = |raw: &str| match serde_json::from_str::<Wire>(raw) {
            Ok(wire) => wire.into_incoming(|| "fallback".into()),
            Err(_) => Wire::deserialize(serde_json::from_str::<Value>(raw).unwrap())
                .unwrap()
                .into_incoming(|| "fallback".into()),
        };
        let fast = |raw: &str| {
            serde_json::from_str::<Wire<PlainText>>(raw)
                .ok()
                .and_then(|wire| wire.plain(raw))
                .map(|wire| wire.into_incoming(|| "fallback".into()))
        };
        let taken = [
            r#"{"text":"hi","id":"x-1","sent_at":"2026-11-22T21:00:00.123Z"}"#,
            "{\"id\":\"a\",\"text\":\"caf\u{e9} \u{1F600} ~\u{7f}\",\"sender\":\"ops@h\"}",
            r#"{"text":"  ","title":"t"}"#,
            r#"{"text":"hi","future":{"x":[1,"\u0041"]},"title":7}"#,
        ];
        for raw in taken {
            assert_eq!(fast(raw), Some(strict(raw)), "{raw}");
        }
        let left = [
            r#"{"text":"a \"quoted\" line"}"#,
            r#"{"text":"caf\u00e9"}"#,
            "{\"text\":\"tab\there\"}",
            "{\"text\":\"raw\u{1}control\"}",
            r#"{"text":5}"#,
            r#"{"text":["no"]}"#,
            r#"{"title":"t"}"#,
            r#"{"text":"first","text":"second"}"#,
        ];
        for raw in left {
            assert_eq!(fast(raw), None, "{raw}");
        }
        // A raw control character makes it no JSON at all: shown as text.
        let control = "{\"text\":\"a\u{1}b\"}";
        let got = decode(control.as_bytes(), None).unwrap();
        assert_eq!((got.text.as_str(), got.format), (control, Format::Text));
        // An escaped text is read by the strict pass, unescaped.
        let got = decode(br#"{"text":"a \"q\""}"#, None).unwrap();
        assert_eq!((got.text.as_str(), got.format), ("a \"q\"", Format::Json));
    }

    /// `decode_unsealed` answers only for payloads that are certainly not
    /// sealed (`as_sealed` says no), and then exactly as `decode`; a sealed
    /// message, a `sealed_by` key holding anything, non-UTF-8 bytes or an
    /// escaped text are left to the full path.
    #[test]
    fn decode_unsealed_answers_only_for_certainly_unsealed_payloads() {
        let key = nkeys::XKey::new();
        let inner = envelope().to_payload();
        let sealed = crate::sealing::seal(&"s1".into(), &inner, &key.public_key()).unwrap();
        let answered = [
            envelope().to_payload(),
            br#"{"text":"hi","sealed_by":null}"#.to_vec(),
            br#"{"text":"hi","x":{"sealed_by":"X"}}"#.to_vec(),
        ];
        for payload in &answered {
            let got = decode_unsealed(payload, Some("h1")).expect("answered");
            let want = decode(payload, Some("h1"));
            assert_eq!(got, want);
            assert!(crate::sealing::as_sealed(payload).is_none());
        }
        let left: [&[u8]; 6] = [
            &sealed,
            br#"{"text":"hi","sealed_by":5}"#,
            br#"{"text":"caf\u00e9"}"#,
            b"{\"text\":\"hi\",\"x\":\"\xff\"}",
            b"plain",
            br#"{"text":"a","text":"b"}"#,
        ];
        for payload in left {
            assert_eq!(decode_unsealed(payload, None), None, "{payload:?}");
        }
        assert!(crate::sealing::as_sealed(&sealed).is_some());
    }

    /// JSON nested past serde_json's limit does not overflow the stack: it is shown as text.
    #[test]
    fn deeply_nested_json_does_not_overflow() {
        let deep = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        // Past serde_json's recursion limit it is not an object: shown as text.
        assert_eq!(decode(deep.as_bytes(), None).unwrap().format, Format::Text);
    }
}
