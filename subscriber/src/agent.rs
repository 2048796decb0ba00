//! The reusable heart of an agent, free of process concerns (signals,
//! stdout, exit codes): subscribe to `broadcast`, `session.<id>`, the
//! session's presence subject and `sessions.ping` (answering each listing
//! with this session's entry), turn each payload
//! into a message to show (the rules are in [`crate::admission`]: each
//! message once, never after it expired), take what catch-up replayed from
//! the stream, remember the position, and confirm what was shown.
//! The `subscriber` binary and the benchmarks both run this code.

use crate::admission::{Admission, Arrival, Gate, Refusals, Subscribed};
use crate::catchup::driver::Replayed;
use crate::catchup::replay::StreamReplays;
use crate::catchup::{self, signed};
use crate::delivery::{Acted, Delivery, Displayed, Show, UserAction};
use crate::state::{Seen, StateFile};
use async_nats::{Client, Message, Subscriber};
use futures::stream::{Map, SelectAll};
use futures::StreamExt;
use jiff::Timestamp;
use nkeys::XKey;
use remote_message::sessions::{Receipt, SessionInfo};
use remote_message::subject;
use remote_message::{SessionId, Target};
use tracing::{debug, info};

/// A message subscription whose messages say which one they came on: a
/// message's own subject does not (see [`crate::admission`]).
type Tagged = Map<Subscriber, fn(Message) -> (Subscribed, Message)>;

/// One session's subscriptions, its entry in the session list, and what it
/// has shown.
pub struct Agent {
    client: Client,
    session: SessionId,
    subscriptions: SelectAll<Tagged>,
    /// Name of the broadcast catch-up consumer: the user key (`U…`) with
    /// credentials; `None`: `<id>-b`.
    broadcast_consumer: Option<String>,
    /// The admission rules and the ids shown.
    gate: Gate,
    refusals: Refusals,
    /// Persisted memory; without it the agent remembers in memory only.
    state: Option<StateFile>,
    /// Up to when messages were seen: the last one shown, or the last moment
    /// the live subscriptions were known good.
    last_seen: Timestamp,
    /// Start of a catch-up that has not succeeded yet: the saved position
    /// never passes it, so a restart still replays it.
    owed_from: Option<Timestamp>,
}

/// Tags a message of the `broadcast` subscription.
fn on_broadcast(message: Message) -> (Subscribed, Message) {
    (Subscribed::Broadcast, message)
}

/// Tags a message of the session's own subscription.
fn on_session(message: Message) -> (Subscribed, Message) {
    (Subscribed::Session, message)
}

impl Agent {
    /// Subscribes, listening for session listings too. With a client still
    /// connecting, the subscriptions are sent once it is connected.
    pub async fn start(client: Client, info: &SessionInfo) -> Result<Agent, async_nats::Error> {
        let broadcast = client.subscribe(Target::Broadcast.subject()).await?;
        let personal = client
            .subscribe(Target::Session(info.id.clone()).subject())
            .await?;
        let mut subscriptions = SelectAll::new();
        subscriptions.push(broadcast.map(on_broadcast as fn(_) -> _));
        subscriptions.push(personal.map(on_session as fn(_) -> _));
        let now = Timestamp::now();
        Ok(Agent {
            client,
            session: info.id.clone(),
            subscriptions,
            broadcast_consumer: None,
            gate: Gate::new(info.id.clone(), now),
            refusals: Refusals::default(),
            state: None,
            last_seen: now,
            owed_from: None,
        })
    }

    /// Remembers what was shown in `state` (and starts from what it holds).
    pub fn with_state(mut self, state: StateFile) -> Agent {
        self.gate.seen = Seen::from_recent(state.state.recent.iter().map(String::as_str));
        self.gate.created_at = state.state.created_at;
        self.last_seen = state.state.last_seen;
        self.state = Some(state);
        self
    }

    /// Opens sealed messages with `key` (its public half is in the session info).
    pub fn with_seal_key(mut self, key: XKey) -> Agent {
        self.gate.seal_key = Some(key);
        self
    }

    /// Names the broadcast catch-up consumer `name` (its credentials' key:
    /// the session account's behind the account wall), as the agent role
    /// allows; `None`: `<id>-b`.
    pub fn with_broadcast_consumer(mut self, name: Option<String>) -> Agent {
        self.broadcast_consumer = name;
        self
    }

    /// Shows only messages signed by one of `keys` (none: every message),
    /// and signed ones only while fresh: `window` after `sent_at`.
    pub fn with_trusted(
        mut self,
        keys: Vec<remote_message::UserKey>,
        window: std::time::Duration,
    ) -> Agent {
        self.gate.trusted = keys;
        self.gate.signed_window = window;
        self
    }

    pub fn session(&self) -> &SessionId {
        &self.session
    }

    /// The next live message to show. Payloads that cannot be shown are
    /// logged and skipped (no payload can stop an agent), as are messages
    /// already shown and expired ones. `None` once drained.
    pub async fn next(&mut self) -> Option<Delivery> {
        loop {
            let (subscribed, raw) = self.subscriptions.next().await?;
            match self
                .gate
                .admit(&raw, Arrival::Live(subscribed), Timestamp::now())
            {
                Admission::Show(delivery) => return Some(delivery),
                // A retried send: confirm again, show nothing.
                Admission::AlreadyShown(delivery) => self.send_receipt(&delivery).await,
                Admission::Skip => {}
                Admission::Refused(refusal) => {
                    self.refusals.log(&refusal, tokio::time::Instant::now());
                }
            }
        }
    }

    /// Replays of this session's subjects, for the catch-up driver, made
    /// by `jetstream` from this agent's client (the connection options'
    /// `jetstream`, which knows the JetStream domain).
    pub fn replays(
        &self,
        jetstream: impl FnOnce(Client) -> async_nats::jetstream::Context,
    ) -> StreamReplays {
        StreamReplays::new(
            jetstream(self.client.clone()),
            &self.session,
            self.broadcast_consumer.as_deref(),
        )
    }

    /// Up to when messages were seen (for where a catch-up starts).
    pub fn last_seen(&self) -> Timestamp {
        self.last_seen
    }

    /// The start of the catch-up owed, if any: the saved position will not
    /// pass it.
    pub fn owe_catch_up_from(&mut self, from: Option<Timestamp>) {
        self.owed_from = from;
    }

    /// Takes what a replay found: the missed messages to show, oldest
    /// first, without what was already shown or expired. Everything up to
    /// `seen_until` now counts as seen.
    pub fn take_replayed(&mut self, replayed: Replayed) -> Vec<Delivery> {
        let stored = replayed.stored.len();
        let now = Timestamp::now();
        let missed: Vec<Delivery> = replayed
            .stored
            .into_iter()
            .filter_map(|s| {
                let arrival = Arrival::Replayed {
                    stored_at: s.stored_at,
                };
                match self.gate.admit(&s.message, arrival, now) {
                    Admission::Show(delivery) => Some(delivery),
                    Admission::Refused(refusal) if refusal.is_steered() => {
                        self.refusals.log(&refusal, tokio::time::Instant::now());
                        None
                    }
                    // Stored ones were reported when they came live.
                    _ => None,
                }
            })
            .collect();
        self.last_seen = self.last_seen.max(replayed.seen_until);
        self.persist(None);
        if stored > 0 {
            info!(
                event = remote_message::Event::CaughtUp.name(),
                missed = missed.len(),
                stored,
                "caught up: {} missed message(s) to show, of {stored} stored since {}",
                missed.len(),
                replayed.from
            );
        }
        missed
    }

    /// Records a message as shown, before it is shown: a crash right after
    /// loses that one message rather than showing it twice on restart.
    fn mark_shown(&mut self, delivery: &Delivery) {
        if self.gate.seen.insert(delivery.message.id.as_str()) {
            self.last_seen = self.last_seen.max(Timestamp::now());
            self.persist(Some(delivery.message.id.as_str()));
        }
    }

    /// Shows one message on `display` and confirms it to a sender that
    /// waits; `Err` only when the display's output is gone. It is recorded
    /// as shown first: a crash in between loses that message rather than
    /// showing it twice after a restart.
    pub async fn show(
        &mut self,
        display: &mut impl Show,
        delivery: Delivery,
    ) -> std::io::Result<()> {
        self.mark_shown(&delivery);
        let displayed = display.show(&delivery).await?;
        self.send_delivered(&delivery, displayed).await;
        Ok(())
    }

    /// Tells a sender that waits that the message is on the user's screen.
    async fn send_receipt(&self, delivery: &Delivery) {
        if delivery.receipt_to.is_none() {
            return; // nobody waits: no receipt built
        }
        let receipt = Receipt::delivered(&delivery.message.id, &self.session);
        self.publish_receipt(delivery.receipt_to.clone(), receipt)
            .await;
    }

    /// Like [`Agent::send_receipt`], also saying how the message was shown
    /// and whether a read receipt can follow (the message is on a display
    /// with an OK action).
    async fn send_delivered(&self, delivery: &Delivery, displayed: Displayed) {
        if delivery.receipt_to.is_none() {
            return; // nobody waits: no receipt built
        }
        let receipt = Receipt::delivered(&delivery.message.id, &self.session)
            .with_read_ack(displayed.read_ack)
            .with_shown(displayed.via);
        self.publish_receipt(delivery.receipt_to.clone(), receipt)
            .await;
    }

    /// The user acted on a message on the desktop. An OK tells a sender
    /// that waits that the message was read.
    pub async fn on_user_action(&self, acted: &Acted) {
        match &acted.action {
            UserAction::Read => {
                let receipt = Receipt::read(&acted.ticket.message_id, &self.session);
                self.publish_receipt(acted.ticket.receipt_to.clone(), receipt)
                    .await;
            }
            UserAction::Answer(_) => {}
        }
    }

    async fn publish_receipt(&self, receipt_to: Option<String>, receipt: Receipt) {
        let Some(receipt_to) = receipt_to else {
            return;
        };
        // Receipts go on `<Receipt-To>.<own id>`, which only this session
        // may publish on where the broker enforces identity.
        let Some(to) = subject::receipt_subject(&receipt_to, &self.session) else {
            debug!(
                "{} receipt for {} not sent: Receipt-To {:?} is not receipt.<token>",
                receipt.status, receipt.id, receipt_to
            );
            return;
        };
        let payload = serde_json::to_vec(&receipt).expect("a receipt serializes");
        if let Err(e) = self.client.publish(to, payload.into()).await {
            debug!(
                "{} receipt for {} not sent: {e}",
                receipt.status, receipt.id
            );
        }
    }

    /// Saves the position, and the message just shown, if any.
    fn persist(&mut self, shown: Option<&str>) {
        // While a catch-up is pending, a restart must still start from it.
        let last_seen = match self.owed_from {
            Some(from) => self.last_seen.min(from + signed(catchup::REWIND)),
            None => self.last_seen,
        };
        if let Some(file) = &mut self.state {
            file.record(last_seen, shown, self.gate.seen.recent());
        }
    }
}
