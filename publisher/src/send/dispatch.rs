//! The networked half of a send: look up what [`plan`](super::plan::plan)
//! needs, publish a plan's messages (through the stream when the server has
//! one, so success means stored; else live with one warning), and collect
//! receipts and presence answers into a [`Report`]. The bench drives these
//! same functions.
//!
//! No round trip before the first publish: a send expects the stream
//! ([`Route::expect`]) and sends its first message together with the
//! stream look-up. Only when the look-up says the stream is missing is it
//! created and that message published again (agents drop the second copy
//! by id); without JetStream the first copy was the live delivery.
//!
//! Bounded: at most [`ACK_WINDOW`] stream acknowledgements are outstanding
//! at once (async-nats allows 5,000 in flight and blocks the next publish
//! beyond); presence requests are plain publishes whose answers (and "no
//! responders") come back on one subscription; and publishing with every
//! acknowledgement must end within one deadline, `--timeout` (default 5 s),
//! counted from the first publish. Past
//! it the send fails as a server error (exit 3) naming how many messages
//! the stream stored and which it did not confirm.

use super::plan::{Lookups, Needs, Outgoing, Plan, Wait};
use super::report::{Collected, Outcome, Published, Report};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use crate::reads::Reads;
use async_nats::jetstream::{self, context::PublishAckFuture};
use async_nats::{StatusCode, Subscriber};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use remote_message::sessions;
use remote_message::stream::{self as log, StreamErrorKind};
use remote_message::subject::{self, presence_subject};
use remote_message::SessionId;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tracing::warn;

/// Most stream acknowledgements awaited at once: well within async-nats'
/// 5,000, so the next publish never waits for a permit that only a later
/// acknowledgement would free.
pub const ACK_WINDOW: usize = 1_000;

/// Subjects named in a "not stored" error; the rest are counted.
const NAMED_UNSTORED: usize = 10;

/// Looks up what [`Needs`] says, plus the server's size limit and a fresh
/// receipt inbox name.
pub async fn look_up(link: &Link, needs: Needs) -> Result<Lookups, Error> {
    let live = if needs.live_sessions {
        sessions::discover(&link.client, link.list_wait())
            .await
            .map_err(|e| link.server_failure(&tr!(errors(), "failed-listing-sessions"), e))?
    } else {
        Vec::new()
    };
    Ok(Lookups {
        live,
        max_payload: link.client.server_info().max_payload,
        receipt_inbox: subject::new_receipt_to(),
    })
}

/// Where messages go: into the stream, or live only (no JetStream).
#[derive(Clone)]
pub enum Route {
    /// Boxed: a context is large, and a route is made once per send.
    Stored(Box<jetstream::Context>),
    Live,
    /// Not looked up yet: the first publish goes to the stream with the
    /// look-up beside it, and the look-up's answer routes the rest.
    Expected(Box<jetstream::Context>),
}

/// A message published, its stream acknowledgement still to come.
pub struct Pending(Option<PublishAckFuture>);

impl Route {
    /// The stream, created with defaults when missing; live only, with one
    /// warning, when the server has no JetStream. One round trip before
    /// anything is published: [`Route::expect`] saves it.
    pub async fn open(link: &Link) -> Result<Route, Error> {
        let js = link.args.jetstream(link.client.clone());
        let found = log::get_or_create(&js).await.map(|_| ());
        Route::looked_up(link, js, found)
    }

    /// The stream expected, nothing asked yet: [`Route::publish_all`]
    /// sends the look-up with the first message.
    pub fn expect(link: &Link) -> Route {
        let js = link.args.jetstream(link.client.clone());
        Route::Expected(Box::new(js))
    }

    /// The route a stream look-up (or creation) decided.
    fn looked_up(
        link: &Link,
        js: jetstream::Context,
        found: Result<(), log::StreamError>,
    ) -> Result<Route, Error> {
        match found {
            Ok(()) => Ok(Route::Stored(Box::new(js))),
            Err(e) if e.kind() == StreamErrorKind::NoJetStream => {
                warn!(
                    event = remote_message::Event::NoJetstream.name(),
                    "this NATS server has no JetStream: the message is delivered live only, and \
                     sessions offline now will not see it"
                );
                Ok(Route::Live)
            }
            Err(e) => Err(link
                .refusal()
                .unwrap_or_else(|| link.server_failure(&tr!(errors(), "failed-stream"), e))),
        }
    }

    /// Settles an [`Route::Expected`] route with `first`: publishes it to
    /// the stream while looking the stream up, in one round trip. Returns
    /// the route for the rest and `first`'s pending acknowledgement, or
    /// `None` when `first` must be published again (the stream was just
    /// created: the copy sent before it existed went out live only).
    /// Other routes return themselves and `None`.
    async fn settle(
        &self,
        link: &Link,
        first: &Outgoing,
    ) -> Result<(Route, Option<Pending>), Error> {
        let Route::Expected(js) = self else {
            return Ok((self.clone(), None));
        };
        let (found, sent) = tokio::join!(
            log::get(js),
            js.publish_with_headers(
                first.target.subject(),
                first.headers.clone(),
                first.payload.clone()
            )
        );
        let sent = sent.map_err(|e| link.server_failure("publishing failed", e))?;
        match found {
            Ok(Some(_)) => Ok((Route::Stored(js.clone()), Some(Pending(Some(sent))))),
            Ok(None) => {
                // Sent before the stream existed: live only, never
                // acknowledged. Created now, the message goes again.
                drop(sent);
                let created = log::get_or_create(js).await.map(|_| ());
                Ok((Route::looked_up(link, (**js).clone(), created)?, None))
            }
            Err(e) => {
                // Without JetStream the copy sent was the live delivery.
                drop(sent);
                let route = Route::looked_up(link, (**js).clone(), Err(e))?;
                Ok((route, Some(Pending(None))))
            }
        }
    }

    /// Publishes one message without waiting for the stream's
    /// acknowledgement.
    pub async fn publish(&self, link: &Link, m: &Outgoing) -> Result<Pending, Error> {
        let subject = m.target.subject();
        match self {
            Route::Stored(js) | Route::Expected(js) => js
                .publish_with_headers(subject, m.headers.clone(), m.payload.clone())
                .await
                .map(|ack| Pending(Some(ack)))
                .map_err(|e| link.server_failure(&tr!(errors(), "failed-publishing"), e)),
            Route::Live => link
                .client
                .publish_with_headers(subject, m.headers.clone(), m.payload.clone())
                .await
                .map(|()| Pending(None))
                .map_err(|e| link.server_failure(&tr!(errors(), "failed-publishing"), e)),
        }
    }

    /// Publishes every message, at most [`ACK_WINDOW`] acknowledgements
    /// outstanding, all within one deadline: `--timeout` from now.
    pub async fn publish_all(
        &self,
        link: &Link,
        messages: &[Outgoing],
    ) -> Result<Published, Error> {
        let within = link.args.connect_timeout();
        let mut confirmed = vec![false; messages.len()];
        let run = async {
            let (route, first) = match messages.first() {
                Some(first) => self.settle(link, first).await?,
                None => (self.clone(), None),
            };
            let duplicate = route
                .publish_windowed(link, messages, first, &mut confirmed)
                .await?;
            Ok::<_, Error>((route, duplicate))
        };
        match tokio::time::timeout(within, run).await {
            Ok(done) => {
                let (route, duplicate) = done?;
                Ok(Published {
                    stored: matches!(route, Route::Stored(_)),
                    duplicate,
                })
            }
            Err(_) => Err(link.refusal().unwrap_or_else(|| {
                ErrorKind::Server.error(self.unfinished(messages, &confirmed, within))
            })),
        }
    }

    /// Publishes in order, keeping at most [`ACK_WINDOW`] acknowledgements
    /// outstanding; marks in `confirmed` each message stored (or, live,
    /// published). `first`: the first message is already published, this
    /// is its acknowledgement. Whether the stream had seen some message id
    /// already.
    async fn publish_windowed(
        &self,
        link: &Link,
        messages: &[Outgoing],
        first: Option<Pending>,
        confirmed: &mut [bool],
    ) -> Result<bool, Error> {
        let mut in_flight = FuturesUnordered::new();
        let mut duplicate = false;
        let skip = usize::from(first.is_some());
        if let Some(pending) = first {
            in_flight.push(pending.numbered(0, link));
        }
        for (i, m) in messages.iter().enumerate().skip(skip) {
            while in_flight.len() >= ACK_WINDOW {
                let Some((done, stored)) = in_flight.next().await else {
                    break;
                };
                duplicate |= Pending::settled(stored)?;
                confirmed[done] = true;
            }
            let pending = self.publish(link, m).await?;
            in_flight.push(pending.numbered(i, link));
        }
        while let Some((done, stored)) = in_flight.next().await {
            duplicate |= Pending::settled(stored)?;
            confirmed[done] = true;
        }
        Ok(duplicate)
    }

    /// The deadline's error text: how many messages were stored (or
    /// published, live) and the first few subjects that were not.
    fn unfinished(&self, messages: &[Outgoing], confirmed: &[bool], within: Duration) -> String {
        let missing: Vec<String> = messages
            .iter()
            .zip(confirmed)
            .filter(|(_, done)| !**done)
            .map(|(m, _)| m.target.subject())
            .collect();
        let mut named = missing
            .iter()
            .take(NAMED_UNSTORED)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if missing.len() > NAMED_UNSTORED {
            let more = missing.len() - NAMED_UNSTORED;
            named.push_str(&tr!(errors(), "unfinished-more", more = more));
        }
        let done = messages.len() - missing.len();
        tr!(
            errors(),
            "unfinished",
            within = humantime::format_duration(within).to_string(),
            stored = if matches!(self, Route::Stored(_) | Route::Expected(_)) {
                "yes"
            } else {
                "no"
            },
            done = done,
            total = messages.len(),
            named = named
        )
    }
}

impl Pending {
    /// Waits (bounded by the connect timeout) until the stream stored the
    /// message; whether it was a duplicate, or `None` when sent live.
    pub async fn stored(self, link: &Link) -> Result<Option<bool>, Error> {
        tokio::time::timeout(link.args.connect_timeout(), self.acknowledged(link))
            .await
            .map_err(|_| {
                link.refusal()
                    .unwrap_or_else(|| ErrorKind::Server.error(tr!(errors(), "ack-timed-out")))
            })?
    }

    /// Waits, unbounded (the caller bounds it), until the stream stored the
    /// message; whether it was a duplicate, or `None` when sent live.
    async fn acknowledged(self, link: &Link) -> Result<Option<bool>, Error> {
        let Some(ack) = self.0 else {
            return Ok(None);
        };
        let ack = ack.await.map_err(|e| {
            link.refusal()
                .unwrap_or_else(|| link.server_failure(&tr!(errors(), "failed-storing"), e))
        })?;
        Ok(Some(ack.duplicate))
    }

    /// [`Pending::acknowledged`], with the message's place in the send.
    async fn numbered(self, i: usize, link: &Link) -> (usize, Result<Option<bool>, Error>) {
        (i, self.acknowledged(link).await)
    }

    /// Whether an acknowledged message was a duplicate (never, live).
    fn settled(stored: Result<Option<bool>, Error>) -> Result<bool, Error> {
        stored.map(|duplicate| duplicate.unwrap_or(false))
    }
}

/// Sends `plan` along `route`: listens for receipts when it waits,
/// publishes, collects. The caller settles the link before trusting a
/// live-only send.
pub async fn dispatch(link: &Link, route: &Route, plan: &Plan) -> Result<Report, Error> {
    let subscribe = |filter: String| async move {
        link.client
            .subscribe(filter)
            .await
            .map_err(|e| link.server_failure(&tr!(errors(), "failed-subscribing"), e))
    };
    let answers = match (&plan.receipt_inbox, plan.wait) {
        (Some(inbox), Some(_)) => {
            let presence = if plan.check_presence {
                let token = subject::new_token();
                Some((subscribe(subject::presence_filter(&token)).await?, token))
            } else {
                None
            };
            Some((subscribe(subject::receipt_filter(inbox)).await?, presence))
        }
        _ => None,
    };
    let published = route.publish_all(link, &plan.messages).await?;
    let collected = match (plan.wait, answers) {
        (Some(wait), Some((receipts, presence))) => {
            collect(link, receipts, presence, plan, wait).await
        }
        _ => Collected::default(),
    };
    Ok(Report::assemble(plan, published, collected))
}

/// Waits until every expected session confirmed or is known not connected
/// (and, with `wait.for_read`, until each that can report read did), or
/// `wait.within` passed. With `presence` (a subscription to the presence
/// replies of its token), asks each session's presence subject: "no
/// responders" there means nobody holds the id, at once. The reply subject
/// names the session, and only its agent may answer there.
async fn collect(
    link: &Link,
    mut receipts: Subscriber,
    presence: Option<(Subscriber, String)>,
    plan: &Plan,
    wait: Wait,
) -> Collected {
    let expected = &plan.expected;
    let receipt_to = plan.receipt_inbox.as_deref().unwrap_or_default();
    let mut reads = Reads::default();
    let mut shown = BTreeMap::new();
    let mut outcomes: BTreeMap<SessionId, Outcome> = expected
        .keys()
        .map(|id| (id.clone(), Outcome::NoConfirmation))
        .collect();
    let mut open: BTreeSet<SessionId> = expected.keys().cloned().collect();
    let mut unexpected = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + wait.within;
    let mut presence = match presence {
        Some((answers, token)) => {
            for id in expected.keys() {
                let reply = subject::presence_reply(&token, id);
                let asked = link
                    .client
                    .publish_with_reply(presence_subject(id), reply, Default::default())
                    .await;
                if asked.is_err() {
                    break; // the connection is closing; receipts tell the rest
                }
            }
            Some(answers)
        }
        None => None,
    };
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
                        if !receipt.shown.is_empty() {
                            shown.insert(receipt.session.clone(), receipt.shown.clone());
                        }
                        outcomes.insert(receipt.session.clone(), Outcome::Delivered);
                        open.remove(&receipt.session);
                    }
                    Some(_) => {}
                    None => { unexpected.insert(receipt.session); }
                }
            }
            Some(answer) = next_answer(&mut presence) => {
                // "No responders" on the reply subject of session id: nobody
                // holds it. An answer says it is held: its receipt will tell.
                let Some(id) = subject::presence_about(&answer.subject) else { continue };
                if answer.status == Some(StatusCode::NO_RESPONDERS)
                    && open.contains(&id)
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
    if let Some(mut answers) = presence {
        let _ = answers.unsubscribe().await;
    }
    Collected {
        outcomes,
        unexpected: unexpected.into_iter().collect(),
        reads,
        shown,
    }
}

/// The next presence answer, or never when the send does not ask.
async fn next_answer(presence: &mut Option<Subscriber>) -> Option<async_nats::Message> {
    match presence {
        Some(answers) => answers.next().await,
        None => std::future::pending().await,
    }
}
