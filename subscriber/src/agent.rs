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
use crate::delivery::{Acted, Delivery, Displayed, Show, Ticket, UserAction};
use crate::lifecycle::{self, Done, Open, RecordFile};
use crate::state::{Seen, StateFile};
use async_nats::{Client, Message, Subscriber};
use futures::stream::{Map, SelectAll};
use futures::StreamExt;
use jiff::Timestamp;
use nkeys::XKey;
use remote_message::ledger::{LedgerEvent, Step};
use remote_message::sessions::{Receipt, SessionInfo};
use remote_message::subject;
use remote_message::{MessageId, SendId, SessionId, Target};
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info};

/// Most shown messages watched for their expiry at once (past it, the one
/// due first is dropped): each one's `expired` row is written when it is due.
const MAX_EXPIRING: usize = 1024;

/// What came live: a message to show, or a recall order.
// Moved once per message; boxing the common case would cost an allocation
// per message on the agent's hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Next {
    Show(Delivery),
    Recall(SendId),
}

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
    /// Messages that wait for the user and sends recalled (in the state
    /// dir); `None` without one: remembered in memory only.
    record: Option<RecordFile>,
    /// Open messages in memory when there is no record file.
    memory: lifecycle::Record,
    /// When each reminding message is shown again.
    reminders: Vec<(Instant, MessageId)>,
    /// Shown messages not yet read or answered that expire, by when (and
    /// the order they were shown in): the next due is the first.
    expiring: BTreeMap<(Instant, u64), Ticket>,
    /// How many messages were put in `expiring`, for its keys.
    expiring_count: u64,
    /// Rows and take-downs owed since the last [`Agent::settle`].
    owed: Vec<Owed>,
    /// `delivered` rows waiting for their moment ([`ROW_DELAY`],
    /// [`ROW_SPREAD`]), oldest first.
    rows_due: VecDeque<(Instant, LedgerEvent, Target)>,
    /// How long after showing a message its `delivered` row goes:
    /// [`ROW_DELAY`] and this session's share of [`ROW_SPREAD`]; zero while
    /// draining.
    row_delay: Duration,
}

/// A broadcast shown by a whole fleet would come back as one `delivered`
/// row per session in the same instant, while the broker is still
/// delivering the broadcast to the rest: each agent writes its row
/// [`ROW_DELAY`] after showing the message, plus its own share of this
/// (fixed by its session id), so the rows come as an even trickle after
/// the fan-out instead of in its middle.
pub const ROW_SPREAD: Duration = Duration::from_secs(1);

/// How long every `delivered` row waits at least: longer than a broadcast
/// takes to reach 10,000 sessions (BENCHMARKS.md), so no row competes
/// with the fan-out it reports on.
pub const ROW_DELAY: Duration = Duration::from_secs(1);

/// Most `delivered` rows waiting at once; past it the oldest goes at once.
const MAX_ROWS_DUE: usize = 4096;

/// What a recall or a replay owes, done by [`Agent::settle`].
#[derive(Debug)]
enum Owed {
    Row(LedgerEvent, Target),
    TakeDown(MessageId, Target),
}

/// Most rows and take-downs owed at once (an agent that never settles,
/// like the benchmarks', stays bounded).
const MAX_OWED: usize = 1024;

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
            record: None,
            memory: lifecycle::Record::default(),
            reminders: Vec::new(),
            expiring: BTreeMap::new(),
            expiring_count: 0,
            owed: Vec::new(),
            rows_due: VecDeque::new(),
            row_delay: ROW_DELAY + ROW_SPREAD.mul_f64(crate::catchup::share_of(info.id.as_str())),
        })
    }

    /// Keeps the messages that wait for the user, and the sends recalled,
    /// in `record`; reminders saved there before a restart go on.
    pub fn with_record(mut self, record: RecordFile) -> Agent {
        let kept = record.load();
        self.gate.recalled.extend(kept.recalled.iter().cloned());
        let now = Timestamp::now();
        for open in kept.open.iter().filter(|open| open.reminds(now)) {
            let every = Duration::from_secs(open.remind_every.unwrap_or(1));
            self.reminders
                .push((Instant::now() + every, open.id.clone()));
        }
        self.record = Some(record);
        self
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
            match self.next_live().await? {
                Next::Show(delivery) => return Some(delivery),
                // Without a display, nothing to take down.
                Next::Recall(send) => self.recall(&mut NothingShown, send).await,
            }
        }
    }

    /// [`Agent::next`], with the recall orders: the caller takes the
    /// send's messages down ([`Agent::recall`]).
    pub async fn next_live(&mut self) -> Option<Next> {
        loop {
            let (subscribed, raw) = self.subscriptions.next().await?;
            match self
                .gate
                .admit(&raw, Arrival::Live(subscribed), Timestamp::now())
            {
                Admission::Show(delivery) => return Some(Next::Show(delivery)),
                Admission::Recall(send) => return Some(Next::Recall(send)),
                Admission::Recalled(delivery) => {
                    self.never_shown(&delivery);
                    self.settle(&mut NothingShown).await;
                }
                // A retried send: confirm again, show nothing.
                Admission::AlreadyShown(delivery) => self.send_receipt(&delivery).await,
                Admission::Skip | Admission::Expired(_) => {}
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
    /// first, without what was already shown, expired or recalled (a
    /// recall order anywhere in the batch counts before any message is
    /// shown). Everything up to `seen_until` now counts as seen. The rows
    /// and take-downs this owes are done by [`Agent::settle`].
    pub fn take_replayed(&mut self, replayed: Replayed) -> Vec<Delivery> {
        let stored = replayed.stored.len();
        let now = Timestamp::now();
        let admitted: Vec<Admission> = replayed
            .stored
            .into_iter()
            .map(|s| {
                let arrival = Arrival::Replayed {
                    stored_at: s.stored_at,
                };
                self.gate.admit(&s.message, arrival, now)
            })
            .collect();
        for admission in &admitted {
            if let Admission::Recall(send) = admission {
                self.note_recall(send.clone());
            }
        }
        let mut missed = Vec::new();
        for admission in admitted {
            match admission {
                Admission::Show(delivery) if self.is_recalled(&delivery) => {
                    self.never_shown(&delivery);
                }
                Admission::Show(delivery) => missed.push(delivery),
                Admission::Recalled(delivery) => self.never_shown(&delivery),
                Admission::Expired(delivery) => {
                    let row = lifecycle::row(Step::Expired, &delivery.message.id, &self.session);
                    self.owe(Owed::Row(row, delivery.target));
                }
                Admission::Refused(refusal) if refusal.is_steered() => {
                    self.refusals.log(&refusal, tokio::time::Instant::now());
                }
                // Stored ones were reported when they came live.
                _ => {}
            }
        }
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

    /// Queues what is owed, within [`MAX_OWED`] (the oldest dropped).
    fn owe(&mut self, owed: Owed) {
        if self.owed.len() >= MAX_OWED {
            self.owed.remove(0);
        }
        self.owed.push(owed);
    }

    /// Does what recalls and a replay owe: takes messages down from
    /// `display`, writes their ledger rows.
    pub async fn settle(&mut self, display: &mut impl Show) {
        for owed in std::mem::take(&mut self.owed) {
            match owed {
                Owed::Row(row, target) => self.publish_row(row, &target).await,
                Owed::TakeDown(id, target) => {
                    if let Err(e) = display.take_down(&id, &target).await {
                        debug!("cannot take down {id}: {e}");
                    }
                }
            }
        }
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
        self.watch(&delivery);
        let mut row = lifecycle::row(Step::Delivered, &delivery.message.id, &self.session);
        row.shown = displayed.via.clone();
        row.read_ack = Some(displayed.read_ack);
        self.send_delivered(&delivery, displayed).await;
        self.row_after_spread(row, delivery.target).await;
        Ok(())
    }

    /// Queues a `delivered` row for its moment ([`ROW_DELAY`] and a share of
    /// [`ROW_SPREAD`]); with no
    /// delay (draining), or a full queue, rows go at once.
    async fn row_after_spread(&mut self, row: LedgerEvent, target: Target) {
        if self.row_delay.is_zero() {
            self.publish_row(row, &target).await;
            return;
        }
        if self.rows_due.len() >= MAX_ROWS_DUE {
            if let Some((_, oldest, on)) = self.rows_due.pop_front() {
                self.publish_row(oldest, &on).await;
            }
        }
        let due = Instant::now() + self.row_delay;
        self.rows_due.push_back((due, row, target));
    }

    /// Writes every row still waiting, and the next ones at once: the
    /// agent is stopping, and its connection closes once drained.
    pub async fn flush_rows(&mut self) {
        self.row_delay = Duration::ZERO;
        while let Some((_, row, target)) = self.rows_due.pop_front() {
            self.publish_row(row, &target).await;
        }
    }

    /// Watches a message just shown: its reminders, its expiry, and its
    /// record when it waits for the user.
    fn watch(&mut self, delivery: &Delivery) {
        let message = &delivery.message;
        if let Some(open) = Open::of(message, &delivery.target, delivery.receipt_to.as_deref()) {
            if let Some(every) = message.remind_every {
                self.reminders
                    .push((Instant::now() + every, message.id.clone()));
            }
            self.update_record(|record| {
                record.keep(open);
                (true, ())
            });
        }
        // Only a message with a ledger gets an `expired` row.
        let ledgered = message.id.send_id(&delivery.target).is_some();
        if let (Some(at), true) = (message.expires_at, ledgered) {
            let left = at.duration_since(Timestamp::now());
            let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
            if self.expiring.len() >= MAX_EXPIRING {
                self.expiring.pop_first();
            }
            self.expiring_count += 1;
            let key = (Instant::now() + left, self.expiring_count);
            self.expiring.insert(key, delivery.ticket());
        }
    }

    /// Changes the record (the file, else the one in memory).
    fn update_record<T: Default>(
        &mut self,
        change: impl FnOnce(&mut lifecycle::Record) -> (bool, T),
    ) -> T {
        match &self.record {
            Some(file) => file.update(change).unwrap_or_else(|e| {
                debug!("cannot write {}: {e}", file.path().display());
                T::default()
            }),
            None => change(&mut self.memory).1,
        }
    }

    /// The record as it is now (the file, else the one in memory).
    fn load_record(&self) -> lifecycle::Record {
        match &self.record {
            Some(file) => file.load(),
            None => self.memory.clone(),
        }
    }

    /// When the next reminder, expiry or `delivered` row is due, if any.
    pub fn next_due(&self) -> Option<Instant> {
        let reminders = self.reminders.iter().map(|(at, _)| *at);
        let expiring = self.expiring.first_key_value().map(|((at, _), _)| *at);
        let row = self.rows_due.front().map(|(at, _, _)| *at);
        reminders.chain(expiring).chain(row).min()
    }

    /// Shows again what is due for a reminder (unless it was read,
    /// answered, recalled or expired meanwhile, maybe by `subscriber
    /// answer`/`read`), and writes the `expired` rows now due.
    pub async fn on_due(&mut self, display: &mut impl Show) -> std::io::Result<()> {
        let now = Instant::now();
        while self.rows_due.front().is_some_and(|(at, _, _)| *at <= now) {
            let (_, row, target) = self.rows_due.pop_front().expect("a row due");
            self.publish_row(row, &target).await;
        }
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.reminders)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.reminders = later;
        let wall = Timestamp::now();
        for (_, id) in due {
            let reminder = self.update_record(|record| match record.find_mut(&id) {
                Some(open) if open.reminds(wall) => {
                    open.reminders += 1;
                    (true, Some(open.clone()))
                }
                _ => (false, None),
            });
            let Some(open) = reminder else { continue };
            let (Some(target), Some(every)) = (open.target(), open.remind_every) else {
                continue;
            };
            let delivery = Delivery {
                message: open.message(),
                target,
                receipt_to: open.receipt_to.clone(),
            };
            info!(
                event = remote_message::Event::Reminded.name(),
                message_id = id.as_str(),
                reminder = open.reminders,
                "message {id} shown again (reminder {})",
                open.reminders
            );
            display.show_again(&delivery, open.reminders).await?;
            self.reminders
                .push((Instant::now() + Duration::from_secs(every), id));
        }
        let later = self.expiring.split_off(&(now, u64::MAX));
        let expired = std::mem::replace(&mut self.expiring, later);
        if expired.is_empty() {
            return Ok(());
        }
        let record = self.load_record();
        for ticket in expired.into_values() {
            let done = record
                .find(&ticket.message_id)
                .is_some_and(|open| open.done.is_some());
            if !done {
                let row = lifecycle::row(Step::Expired, &ticket.message_id, &self.session);
                self.publish_row(row, &ticket.target).await;
            }
        }
        Ok(())
    }

    /// Whether the send of `delivery` was recalled.
    fn is_recalled(&self, delivery: &Delivery) -> bool {
        delivery
            .message
            .id
            .send_id(&delivery.target)
            .is_some_and(|send| self.gate.recalled.contains(&send))
    }

    /// A message of a recalled send came: it is not shown, and the ledger
    /// says it was not seen.
    fn never_shown(&mut self, delivery: &Delivery) {
        if self.gate.seen.insert(delivery.message.id.as_str()) {
            self.persist(Some(delivery.message.id.as_str()));
            let row = lifecycle::recalled(&delivery.message.id, &self.session, false);
            self.owe(Owed::Row(row, delivery.target.clone()));
        }
    }

    /// A recall order for `send`: its messages shown here are taken down
    /// from `display` (a `recalled` row with seen=true for each), and it is
    /// remembered so that none is ever shown later. A repeated order does
    /// nothing more.
    pub async fn recall(&mut self, display: &mut impl Show, send: SendId) {
        self.note_recall(send);
        self.settle(display).await;
    }

    /// [`Agent::recall`] without the display: what it owes is queued.
    fn note_recall(&mut self, send: SendId) {
        if !self.gate.recalled.insert(send.clone()) {
            return;
        }
        self.update_record(|record| (record.recall(&send), ()));
        let mut shown = 0;
        for target in [Target::Broadcast, Target::Session(self.session.clone())] {
            let id = send.message_id(&target);
            if !self.gate.seen.contains(id.as_str()) {
                continue;
            }
            shown += 1;
            self.forget(&id);
            self.update_record(|record| {
                let before = record.open.len();
                record.open.retain(|open| open.id != id);
                (record.open.len() != before, ())
            });
            let row = lifecycle::recalled(&id, &self.session, true);
            self.owe(Owed::TakeDown(id, target.clone()));
            self.owe(Owed::Row(row, target));
        }
        info!(
            event = remote_message::Event::MessageRecalled.name(),
            send = send.as_str(),
            shown,
            "send {send} recalled: {shown} message(s) taken down; it will not be shown"
        );
    }

    /// Stops reminding `id` and watching its expiry.
    fn forget(&mut self, id: &MessageId) {
        self.reminders.retain(|(_, kept)| kept != id);
        self.expiring.retain(|_, ticket| &ticket.message_id != id);
    }

    /// Writes a ledger row (none for a message whose id names no send).
    async fn publish_row(&self, row: LedgerEvent, target: &Target) {
        lifecycle::publish_row(&self.client, row, target).await;
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

    /// The user acted on a message (on the desktop, or through the
    /// `--exec` program). An OK tells a sender that waits that the message
    /// was read; a read or an answer goes to the ledger (the first answer
    /// only) and stops its reminders.
    pub async fn on_user_action(&mut self, acted: &Acted) {
        let ticket = &acted.ticket;
        let id = &ticket.message_id;
        let answer = match &acted.action {
            UserAction::Read => {
                let receipt = Receipt::read(id, &self.session);
                self.publish_receipt(ticket.receipt_to.clone(), receipt)
                    .await;
                None
            }
            UserAction::Answer(label) => match ticket.answers.resolve(label) {
                Some(label) => {
                    // Who answers has read it: a sender waiting for the
                    // read is told so.
                    let receipt = Receipt::read(id, &self.session);
                    self.publish_receipt(ticket.receipt_to.clone(), receipt)
                        .await;
                    Some(label.to_owned())
                }
                None => {
                    debug!("answer {label:?} to {id} is not one it offers: ignored");
                    return;
                }
            },
        };
        let first = self.update_record(|record| match record.find_mut(id) {
            Some(open) if open.done.as_ref().is_some_and(|done| done.answer.is_some()) => {
                (false, false)
            }
            Some(open) => {
                open.done = Some(Done {
                    at: Timestamp::now(),
                    answer: answer.clone(),
                });
                (true, true)
            }
            None => (false, true),
        });
        self.forget(id);
        if !first {
            debug!("{id} was answered already: this action is not recorded");
            return;
        }
        let row = match &answer {
            Some(label) => lifecycle::answered(id, &self.session, label, acted.via),
            None => lifecycle::row(Step::Read, id, &self.session),
        };
        info!(
            event = remote_message::Event::Answered.name(),
            message_id = id.as_str(),
            answer = answer.as_deref(),
            via = ?acted.via,
            "message {id}: {}",
            answer.as_deref().map_or("read".to_owned(), |a| format!("answered {a:?}"))
        );
        self.publish_row(row, &ticket.target).await;
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

/// The display of an agent that shows nothing itself (the benchmarks', or
/// a replay's recall order before the batch is shown): nothing to take down.
struct NothingShown;

impl Show for NothingShown {
    async fn show(&mut self, _: &Delivery) -> std::io::Result<Displayed> {
        Ok(Displayed {
            via: Vec::new(),
            read_ack: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catchup::replay::Stored;
    use remote_message::ledger::AnsweredVia;
    use remote_message::{Answers, Envelope, Incoming};

    /// What a display was asked to do.
    #[derive(Default)]
    struct Recorder {
        shown: Vec<String>,
        reminders: Vec<(String, u32)>,
        taken_down: Vec<String>,
    }

    impl Show for Recorder {
        async fn show(&mut self, delivery: &Delivery) -> std::io::Result<Displayed> {
            self.shown.push(delivery.message.id.to_string());
            Ok(Displayed {
                via: vec![remote_message::sessions::ShownVia::Terminal],
                read_ack: false,
            })
        }

        async fn show_again(&mut self, delivery: &Delivery, reminder: u32) -> std::io::Result<()> {
            self.reminders
                .push((delivery.message.id.to_string(), reminder));
            Ok(())
        }

        async fn take_down(&mut self, id: &MessageId, _: &Target) -> std::io::Result<()> {
            self.taken_down.push(id.to_string());
            Ok(())
        }
    }

    /// An agent of session `alice` whose client never connects (its rows
    /// go nowhere), keeping its record in `dir`.
    /// Alice's agent, its record in `dir`, on a client that never connects.
    async fn started_agent(dir: &std::path::Path) -> Agent {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect("127.0.0.1:1")
            .await
            .unwrap();
        let alice: SessionId = "alice".parse().unwrap();
        let info = SessionInfo {
            id: alice.clone(),
            user: None,
            host: "test".into(),
            os: "test".into(),
            version: "0".into(),
            since: Timestamp::now(),
            labels: Default::default(),
            xkey: None,
        };
        Agent::start(client, &info)
            .await
            .unwrap()
            .with_record(RecordFile::new(dir, &alice))
    }

    /// [`started_agent`] writing its rows at once: these tests time
    /// reminders and expiries only.
    async fn new_agent(dir: &std::path::Path) -> Agent {
        let mut agent = started_agent(dir).await;
        agent.flush_rows().await;
        agent
    }

    /// A `delivered` row waits [`ROW_DELAY`] and the session's share of [`ROW_SPREAD`]
    /// (the same for every row of a session, so they keep their order),
    /// then goes at the next [`Agent::on_due`]; stopping sends what waits.
    #[tokio::test(start_paused = true)]
    async fn delivered_rows_wait_for_the_sessions_share_of_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let mut agent = started_agent(dir.path()).await;
        let plain = |id: &str| Delivery {
            message: Incoming {
                id: id.into(),
                text: "hi".into(),
                ..Incoming::default()
            },
            target: Target::Broadcast,
            receipt_to: None,
        };
        let delay = ROW_DELAY + ROW_SPREAD.mul_f64(crate::catchup::share_of("alice"));
        assert!(
            delay > ROW_DELAY && delay < ROW_DELAY + ROW_SPREAD,
            "{delay:?}"
        );
        let mut display = Recorder::default();
        let shown_at = Instant::now();
        for id in ["m1", "m2"] {
            agent.show(&mut display, plain(id)).await.unwrap();
        }
        assert_eq!(agent.rows_due.len(), 2);
        assert_eq!(agent.next_due(), Some(shown_at + delay));
        tokio::time::sleep_until(shown_at + delay).await;
        agent.on_due(&mut display).await.unwrap();
        assert!(agent.rows_due.is_empty());
        assert_eq!(agent.next_due(), None);

        agent.show(&mut display, plain("m3")).await.unwrap();
        assert_eq!(agent.rows_due.len(), 1);
        agent.flush_rows().await;
        assert!(agent.rows_due.is_empty(), "stopping sends what waits");
    }

    fn reminding(id: &str, every: u64) -> Delivery {
        Delivery {
            message: Incoming {
                id: id.into(),
                text: "May I restart now?".into(),
                answers: Answers::parse(&["Yes", "No"]).unwrap(),
                remind_every: Some(Duration::from_secs(every)),
                ..Incoming::default()
            },
            target: Target::Broadcast,
            receipt_to: None,
        }
    }

    /// A reminding message is shown again every interval, counted, until
    /// the user reads it; a restarted agent goes on reminding what its
    /// record holds.
    #[tokio::test(start_paused = true)]
    async fn reminders_repeat_until_read_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut agent = new_agent(dir.path()).await;
        let mut display = Recorder::default();
        let delivery = reminding("s1", 60);
        let ticket = delivery.ticket();
        agent.show(&mut display, delivery).await.unwrap();
        for n in 1..=2 {
            let due = agent.next_due().expect("a reminder is due");
            tokio::time::sleep_until(due).await;
            agent.on_due(&mut display).await.unwrap();
            assert_eq!(display.reminders.last(), Some(&("s1".to_owned(), n)));
        }
        drop(agent);
        let mut restarted = new_agent(dir.path()).await;
        let due = restarted.next_due().expect("the reminder survived");
        tokio::time::sleep_until(due).await;
        restarted.on_due(&mut display).await.unwrap();
        assert_eq!(display.reminders.last(), Some(&("s1".to_owned(), 3)));
        restarted
            .on_user_action(&Acted {
                ticket,
                action: UserAction::Read,
                via: AnsweredVia::Desktop,
            })
            .await;
        assert_eq!(restarted.next_due(), None);
        let record = RecordFile::new(dir.path(), &"alice".parse().unwrap()).load();
        assert!(record.find(&"s1".into()).unwrap().done.is_some());
    }

    /// A mark written by `subscriber answer` (in the record) stops the
    /// running agent's reminders at the next one due.
    #[tokio::test(start_paused = true)]
    async fn an_answer_from_the_command_stops_reminders() {
        let dir = tempfile::tempdir().unwrap();
        let mut agent = new_agent(dir.path()).await;
        let mut display = Recorder::default();
        agent.show(&mut display, reminding("s2", 30)).await.unwrap();
        RecordFile::new(dir.path(), &"alice".parse().unwrap())
            .update(|record| {
                record.find_mut(&"s2".into()).unwrap().done = Some(Done {
                    at: Timestamp::now(),
                    answer: Some("No".into()),
                });
                (true, ())
            })
            .unwrap();
        // The `delivered` row first, then the reminder, which finds it answered.
        while let Some(due) = agent.next_due() {
            tokio::time::sleep_until(due).await;
            agent.on_due(&mut display).await.unwrap();
        }
        assert!(display.reminders.is_empty());
    }

    fn stored(payload: Vec<u8>) -> Stored {
        Stored {
            sequence: 1,
            stored_at: Timestamp::now(),
            message: async_nats::Message {
                subject: "broadcast".into(),
                reply: None,
                length: payload.len(),
                payload: payload.into(),
                headers: None,
                status: None,
                description: None,
            },
        }
    }

    /// A catch-up batch holding a message and, later, its recall order
    /// shows nothing; the recall is remembered, so the message coming
    /// again later is not shown either. A recall of a message on screen
    /// takes it down.
    #[tokio::test]
    async fn a_recall_in_the_same_batch_wins_and_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let mut agent = new_agent(dir.path()).await;
        let send = SendId::parse("s3").unwrap();
        let message = Envelope::with_id(
            send.message_id(&Target::Broadcast),
            "Restart at noon".into(),
            None,
            None,
        )
        .unwrap()
        .to_payload();
        let order = Envelope::recall(&send, None).to_payload();
        let batch = Replayed {
            stored: vec![stored(message.clone()), stored(order)],
            from: Timestamp::now(),
            seen_until: Timestamp::now(),
        };
        assert!(agent.take_replayed(batch).is_empty());
        let again = Replayed {
            stored: vec![stored(message)],
            from: Timestamp::now(),
            seen_until: Timestamp::now(),
        };
        drop(agent);
        let mut restarted = new_agent(dir.path()).await;
        assert!(restarted.take_replayed(again).is_empty());

        let mut display = Recorder::default();
        restarted
            .show(&mut display, reminding("s4", 60))
            .await
            .unwrap();
        restarted
            .recall(&mut display, SendId::parse("s4").unwrap())
            .await;
        assert_eq!(display.taken_down, ["s4"]);
        assert_eq!(restarted.next_due(), None);
    }
}
