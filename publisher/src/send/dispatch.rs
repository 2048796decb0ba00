//! The networked half of a send: look up what [`plan`](super::plan::plan)
//! needs, publish a plan's messages (through the stream when the server has
//! one, so success means stored; else live with one warning), and collect
//! receipts and presence answers into a [`Report`]. The bench drives these
//! same functions.

use super::plan::{Lookups, Needs, Outgoing, Plan, Wait};
use super::report::{Collected, Outcome, Published, Report};
use crate::error::{Error, ErrorKind};
use crate::link::Link;
use crate::reads::Reads;
use async_nats::jetstream::{self, context::PublishAckFuture};
use async_nats::{RequestErrorKind, Subscriber};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use remote_message::sessions;
use remote_message::stream::{self as log, StreamErrorKind};
use remote_message::subject::presence_subject;
use remote_message::SessionId;
use std::collections::{BTreeMap, BTreeSet};
use tracing::warn;

/// Looks up what [`Needs`] says, plus the server's size limit and a fresh
/// receipt inbox name.
pub async fn look_up(link: &Link, needs: Needs) -> Result<Lookups, Error> {
    let live = if needs.live_sessions {
        sessions::discover(&link.client, link.list_wait())
            .await
            .map_err(|e| link.server_failure("listing sessions failed", e))?
    } else {
        Vec::new()
    };
    Ok(Lookups {
        live,
        max_payload: link.client.server_info().max_payload,
        receipt_inbox: remote_message::subject::new_receipt_to(),
    })
}

/// Where messages go: into the stream, or live only (no JetStream).
#[derive(Clone)]
pub enum Route {
    /// Boxed: a context is large, and a route is made once per send.
    Stored(Box<jetstream::Context>),
    Live,
}

/// A message published, its stream acknowledgement still to come.
pub struct Pending(Option<PublishAckFuture>);

impl Route {
    /// The stream, created with defaults when missing; live only, with one
    /// warning, when the server has no JetStream.
    pub async fn open(link: &Link) -> Result<Route, Error> {
        let js = jetstream::new(link.client.clone());
        match log::get_or_create(&js).await {
            Ok(_) => Ok(Route::Stored(Box::new(js))),
            Err(e) if e.kind() == StreamErrorKind::NoJetStream => {
                warn!(
                    event = "no_jetstream",
                    "this NATS server has no JetStream: the message is delivered live only, and \
                     sessions offline now will not see it"
                );
                Ok(Route::Live)
            }
            Err(e) => Err(link
                .refusal()
                .unwrap_or_else(|| link.server_failure("the message stream is not usable", e))),
        }
    }

    /// Publishes one message without waiting for the stream's
    /// acknowledgement.
    pub async fn publish(&self, link: &Link, m: &Outgoing) -> Result<Pending, Error> {
        let subject = m.target.subject();
        match self {
            Route::Stored(js) => js
                .publish_with_headers(subject, m.headers.clone(), m.payload.clone())
                .await
                .map(|ack| Pending(Some(ack)))
                .map_err(|e| link.server_failure("publishing failed", e)),
            Route::Live => link
                .client
                .publish_with_headers(subject, m.headers.clone(), m.payload.clone())
                .await
                .map(|()| Pending(None))
                .map_err(|e| link.server_failure("publishing failed", e)),
        }
    }

    /// Publishes every message, then waits for each acknowledgement.
    pub async fn publish_all(
        &self,
        link: &Link,
        messages: &[Outgoing],
    ) -> Result<Published, Error> {
        let mut pending = Vec::with_capacity(messages.len());
        for m in messages {
            pending.push(self.publish(link, m).await?);
        }
        let mut duplicate = false;
        for p in pending {
            duplicate |= p.stored(link).await?.unwrap_or(false);
        }
        Ok(Published {
            stored: matches!(self, Route::Stored(_)),
            duplicate,
        })
    }
}

impl Pending {
    /// Waits (bounded by the connect timeout) until the stream stored the
    /// message; whether it was a duplicate, or `None` when sent live.
    pub async fn stored(self, link: &Link) -> Result<Option<bool>, Error> {
        let Some(ack) = self.0 else {
            return Ok(None);
        };
        let ack = tokio::time::timeout(link.args.connect_timeout(), ack)
            .await
            .map_err(|_| {
                link.refusal().unwrap_or_else(|| {
                    ErrorKind::Server.error(
                        "the stream did not acknowledge the message in time: it may not be \
                         stored; send again with the same --id to be sure",
                    )
                })
            })?
            .map_err(|e| {
                link.refusal().unwrap_or_else(|| {
                    link.server_failure(
                        "the stream did not store the message (send again with the same --id)",
                        e,
                    )
                })
            })?;
        Ok(Some(ack.duplicate))
    }
}

/// Sends `plan` along `route`: listens for receipts when it waits,
/// publishes, collects. The caller settles the link before trusting a
/// live-only send.
pub async fn dispatch(link: &Link, route: &Route, plan: &Plan) -> Result<Report, Error> {
    let receipts = match (&plan.receipt_inbox, plan.wait) {
        (Some(inbox), Some(_)) => Some(
            link.client
                .subscribe(remote_message::subject::receipt_filter(inbox))
                .await
                .map_err(|e| link.server_failure("subscribing for receipts failed", e))?,
        ),
        _ => None,
    };
    let published = route.publish_all(link, &plan.messages).await?;
    let collected = match (plan.wait, receipts) {
        (Some(wait), Some(receipts)) => collect(link, receipts, plan, wait).await,
        _ => Collected::default(),
    };
    Ok(Report::assemble(plan, published, collected))
}

/// Waits until every expected session confirmed or is known not connected
/// (and, with `wait.for_read`, until each that can report read did), or
/// `wait.within` passed. With `plan.check_presence`, asks each session's
/// presence subject: "no responders" there means nobody holds the id, at once.
async fn collect(link: &Link, mut receipts: Subscriber, plan: &Plan, wait: Wait) -> Collected {
    let expected = &plan.expected;
    let receipt_to = plan.receipt_inbox.as_deref().unwrap_or_default();
    let mut reads = Reads::default();
    let mut outcomes: BTreeMap<SessionId, Outcome> = expected
        .keys()
        .map(|id| (id.clone(), Outcome::NoConfirmation))
        .collect();
    let mut open: BTreeSet<SessionId> = expected.keys().cloned().collect();
    let mut unexpected = BTreeSet::new();
    let mut presence: FuturesUnordered<_> = FuturesUnordered::new();
    if plan.check_presence {
        for id in expected.keys() {
            let request = async_nats::Request::new().timeout(Some(wait.within));
            let client = link.client.clone();
            let id = id.clone();
            presence.push(async move {
                let answer = client.send_request(presence_subject(&id), request).await;
                (id, answer)
            });
        }
    }
    let deadline = tokio::time::Instant::now() + wait.within;
    while !open.is_empty() || (wait.for_read && reads.awaited()) {
        tokio::select! {
            receipt = receipts.next() => {
                let Some(receipt) = receipt else { break };
                // Only a receipt whose payload names the session its subject
                // ends with (the one the broker let publish there) counts.
                let Some(receipt) = sessions::receipt_from(receipt_to, &receipt.subject, &receipt.payload) else { continue };
                match expected.get(&receipt.session) {
                    Some(id) if *id == receipt.id => {
                        reads.record(&receipt);
                        outcomes.insert(receipt.session.clone(), Outcome::Delivered);
                        open.remove(&receipt.session);
                    }
                    Some(_) => {}
                    None => { unexpected.insert(receipt.session); }
                }
            }
            Some((id, answer)) = presence.next(), if !presence.is_empty() => {
                if matches!(&answer, Err(e) if e.kind() == RequestErrorKind::NoResponders)
                    && outcomes.get(&id) != Some(&Outcome::Delivered)
                {
                    outcomes.insert(id.clone(), Outcome::NotConnected);
                    open.remove(&id);
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    let _ = receipts.unsubscribe().await;
    Collected {
        outcomes,
        unexpected: unexpected.into_iter().collect(),
        reads,
    }
}
