//! Messages as `publisher send` builds and sends them, for the in-process
//! figures that need a timestamp at the moment of publishing.
//!
//! `publisher::send` keeps its message type (`Outgoing`), its `publish` and
//! its receipt `collect` private, and only offers `run`, which connects,
//! prints a report and exits with a code. So this module mirrors those
//! functions with the same library calls: the same `Envelope`, the same
//! `Nats-Msg-Id` and `Receipt-To` headers, publishing through the stream
//! (`remote_message::stream`) and waiting for its acknowledgement, the
//! presence check of session sends, and the same `Receipt` decoding. The
//! process-level figures (one-shot, `send --wait` end to end) run the real
//! `publisher` binary instead.

use async_nats::jetstream::{self, context::PublishAckFuture};
use async_nats::{Client, HeaderMap, RequestErrorKind};
use bytes::Bytes;
use futures::StreamExt;
use remote_message::envelope::{Envelope, MSG_ID_HEADER, RECEIPT_TO_HEADER};
use remote_message::sessions::Receipt;
use remote_message::stream;
use remote_message::subject::presence_subject;
use remote_message::{SessionId, Target};
use std::collections::BTreeSet;
use std::time::Duration;

/// How long the publisher waits for the stream's acknowledgement (its
/// connect timeout, 5 s by default).
const ACK_WAIT: Duration = remote_message_cli::connection::DEFAULT_CONNECT_TIMEOUT;

/// One message ready for the wire (`send.rs`: `Outgoing::new`).
pub struct Outgoing {
    pub id: String,
    pub headers: HeaderMap,
    pub payload: Bytes,
}

impl Outgoing {
    /// A fresh envelope around `text`, with `id` or a new one, asking for
    /// receipts on `receipt_to` if given.
    pub fn new(
        id: Option<String>,
        text: String,
        sender: &str,
        receipt_to: Option<&str>,
    ) -> Outgoing {
        let id = id.unwrap_or_else(|| nuid::next().to_string());
        let envelope = Envelope::with_id(id, text, None, Some(sender.to_owned()))
            .expect("bench texts are never blank");
        let payload = envelope.to_payload();
        let mut headers = HeaderMap::new();
        headers.insert(MSG_ID_HEADER, envelope.id.as_str());
        if let Some(inbox) = receipt_to {
            headers.insert(RECEIPT_TO_HEADER, inbox);
        }
        Outgoing {
            id: envelope.id,
            headers,
            payload: payload.into(),
        }
    }
}

/// The publisher's connection and its JetStream context.
pub struct Publisher {
    pub client: Client,
    js: jetstream::Context,
}

impl Publisher {
    /// Makes sure the stream exists, as the first `publisher send` on a
    /// server does (`send.rs`: `publish`, via `stream::get_or_create`).
    pub async fn new(client: Client) -> Result<Publisher, String> {
        let js = jetstream::new(client.clone());
        stream::get_or_create(&js)
            .await
            .map_err(|e| format!("the message stream is not usable: {e}"))?;
        Ok(Publisher { client, js })
    }

    /// Publishes through the stream; the returned future is its acknowledgement.
    pub async fn publish(&self, target: &Target, m: Outgoing) -> Result<PublishAckFuture, String> {
        self.js
            .publish_with_headers(target.subject(), m.headers, m.payload)
            .await
            .map_err(|e| format!("publishing failed: {e}"))
    }

    /// Publishes and waits until the stream stored it (`send.rs`: `publish`).
    pub async fn publish_stored(&self, target: &Target, m: Outgoing) -> Result<(), String> {
        let ack = self.publish(target, m).await?;
        await_ack(ack).await
    }

    /// A broadcast without waiting for receipts.
    pub async fn broadcast(&self, text: String, sender: &str) -> Result<(), String> {
        self.publish_stored(&Target::Broadcast, Outgoing::new(None, text, sender, None))
            .await
    }

    /// A session send that waits for the agent's receipt (`send.rs`: `run`
    /// for one `--session`, then `collect` with its presence check).
    pub async fn send_to_session(
        &self,
        session: &SessionId,
        text: String,
        sender: &str,
        wait: Duration,
    ) -> Result<(), String> {
        let inbox = self.client.new_inbox();
        let send_id = nuid::next().to_string();
        let m = Outgoing::new(
            Some(format!("{send_id}-{session}")),
            text,
            sender,
            Some(&inbox),
        );
        let id = m.id.clone();
        let mut receipts = self
            .client
            .subscribe(inbox)
            .await
            .map_err(|e| format!("subscribing for receipts failed: {e}"))?;
        self.publish_stored(&Target::Session(session.clone()), m)
            .await?;
        let presence = self.client.send_request(
            presence_subject(session),
            async_nats::Request::new().timeout(Some(wait)),
        );
        tokio::pin!(presence);
        let mut presence_done = false;
        let deadline = tokio::time::Instant::now() + wait;
        let outcome = loop {
            tokio::select! {
                receipt = receipts.next() => {
                    let Some(receipt) = receipt else { break Err("receipts ended".to_owned()) };
                    match serde_json::from_slice::<Receipt>(&receipt.payload) {
                        Ok(r) if r.id == id && &r.session == session => break Ok(()),
                        _ => continue,
                    }
                }
                answer = &mut presence, if !presence_done => {
                    presence_done = true;
                    if matches!(&answer, Err(e) if e.kind() == RequestErrorKind::NoResponders) {
                        break Err(format!("session {session} is not connected"));
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    break Err(format!("no receipt from {session} within {wait:?}"));
                }
            }
        };
        let _ = receipts.unsubscribe().await;
        outcome
    }

    /// A broadcast that collects a receipt from each of `expected` sessions
    /// (`send.rs`: `run` with `--wait`, without the listing before it).
    /// Returns how many distinct sessions confirmed within `wait`.
    pub async fn broadcast_and_wait(
        &self,
        text: String,
        sender: &str,
        expected: usize,
        wait: Duration,
    ) -> Result<usize, String> {
        let inbox = self.client.new_inbox();
        let m = Outgoing::new(None, text, sender, Some(&inbox));
        let id = m.id.clone();
        let mut receipts = self
            .client
            .subscribe(inbox)
            .await
            .map_err(|e| format!("subscribing for receipts failed: {e}"))?;
        self.publish_stored(&Target::Broadcast, m).await?;
        let mut confirmed = BTreeSet::new();
        let deadline = tokio::time::Instant::now() + wait;
        while confirmed.len() < expected {
            let Ok(Some(reply)) = tokio::time::timeout_at(deadline, receipts.next()).await else {
                break;
            };
            let Ok(receipt) = serde_json::from_slice::<Receipt>(&reply.payload) else {
                continue;
            };
            if receipt.id == id {
                confirmed.insert(receipt.session);
            }
        }
        let _ = receipts.unsubscribe().await;
        Ok(confirmed.len())
    }
}

/// Waits for the stream's acknowledgement, bounded as the publisher bounds it.
pub async fn await_ack(ack: PublishAckFuture) -> Result<(), String> {
    tokio::time::timeout(ACK_WAIT, ack)
        .await
        .map_err(|_| "the stream did not acknowledge in time".to_owned())?
        .map(|_| ())
        .map_err(|e| format!("the stream did not store the message: {e}"))
}
