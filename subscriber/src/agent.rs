//! The reusable heart of an agent, free of process concerns (signals,
//! stdout, exit codes): subscribe to `broadcast`, `session.<id>` and the
//! session's presence subject, join the session list, turn each payload
//! into a message to show — each message once, never after it expired —
//! catch up from the stream on what was missed, and confirm what was shown.
//! The `subscriber` binary and the benchmarks both run this code.

use crate::catchup;
use crate::state::{Seen, StateFile};
use async_nats::jetstream;
use async_nats::service::Service;
use async_nats::{Client, Subscriber};
use futures::stream::SelectAll;
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use nkeys::XKey;
use remote_message::envelope::{self, MSG_ID_HEADER, RECEIPT_TO_HEADER};
use remote_message::sealing;
use remote_message::sessions::{self, Receipt, SessionInfo};
use remote_message::signing;
use remote_message::stream::{StreamError, StreamErrorKind};
use remote_message::subject::presence_subject;
use remote_message::{Incoming, SessionId, Target};
use remote_message_cli::identity;
use std::time::Duration;
use tracing::{debug, info, warn};

/// How far before the last message shown a catch-up starts reading: clock
/// skew between this machine and the server up to this much loses nothing
/// (what is read twice is dropped by id).
pub const CATCH_UP_REWIND: Duration = Duration::from_secs(120);

/// How far before the newest message a catch-up read back the next one
/// starts (in the server's clock, which may step back a little when a
/// cluster elects another stream leader).
const READ_BACK_OVERLAP: Duration = Duration::from_secs(2);

/// How far back a catch-up may reach when `--catch-up-window` is not given.
pub const DEFAULT_CATCH_UP_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Most "not shown" warnings logged per minute.
const WARNINGS_PER_MINUTE: u32 = 10;

/// A message to show.
#[derive(Debug)]
pub struct Delivery {
    pub message: Incoming,
    pub target: Target,
    /// Where the sender waits for a receipt, if it does.
    receipt_to: Option<String>,
}

impl Delivery {
    /// What a read receipt needs, for a display that lets the user
    /// acknowledge the message later; `None` when no sender waits.
    pub fn read_ticket(&self) -> Option<ReadTicket> {
        Some(ReadTicket {
            message_id: self.message.id.clone(),
            receipt_to: self.receipt_to.clone()?,
        })
    }
}

/// A message the user may still acknowledge, kept by the display until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTicket {
    message_id: String,
    receipt_to: String,
}

impl ReadTicket {
    pub fn message_id(&self) -> &str {
        &self.message_id
    }
}

/// One session's subscriptions, its entry in the session list, and what it
/// has shown.
pub struct Agent {
    client: Client,
    session: SessionId,
    presence: String,
    subscriptions: SelectAll<Subscriber>,
    _listed: Service,
    seen: Seen,
    /// Persisted memory; without it the agent remembers in memory only.
    state: Option<StateFile>,
    /// Messages stored before this, without a ttl, are history this
    /// session never had to see.
    created_at: Timestamp,
    /// Up to when messages were read.
    last_seen: Timestamp,
    /// True until the first catch-up of a session that had no state.
    brand_new: bool,
    catch_up_window: Duration,
    /// Start of a catch-up that has not succeeded yet.
    catch_up_from: Option<Timestamp>,
    /// Where a read that goes on from the last successful one starts.
    resume_from: Option<Timestamp>,
    /// Opens messages sealed to this session.
    seal_key: Option<XKey>,
    /// With keys here, only messages signed by one of them are shown.
    trusted: Vec<String>,
    /// Start of the current warning window, and warnings in it.
    warnings: (std::time::Instant, u32),
    warned_no_jetstream: bool,
}

/// A catch-up to run: owns what it needs, so the agent stays free to
/// answer presence checks meanwhile.
pub struct CatchUp {
    js: jetstream::Context,
    subjects: [String; 2],
    start: Timestamp,
}

impl CatchUp {
    /// Reads everything stored on the agent's subjects since the start.
    pub async fn run(self) -> Result<Vec<catchup::Stored>, StreamError> {
        catchup::since(&self.js, &self.subjects, self.start).await
    }
}

/// This session as the session list shows it: `user` defaults to the OS
/// login name.
pub fn session_info(
    session: SessionId,
    user_name: Option<String>,
    labels: impl IntoIterator<Item = (String, String)>,
) -> SessionInfo {
    SessionInfo {
        id: session,
        user: user_name.unwrap_or_else(identity::login_name),
        host: identity::host_name(),
        os: identity::os_name(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        since: Timestamp::now(),
        labels: labels.into_iter().collect(),
        xkey: None,
    }
}

impl Agent {
    /// Subscribes and joins the session list. With a client still
    /// connecting, the subscriptions are sent once it is connected.
    pub async fn start(client: Client, info: &SessionInfo) -> Result<Agent, async_nats::Error> {
        let mut subscriptions = SelectAll::new();
        subscriptions.push(client.subscribe(Target::Broadcast.subject()).await?);
        subscriptions.push(
            client
                .subscribe(Target::Session(info.id.clone()).subject())
                .await?,
        );
        subscriptions.push(client.subscribe(presence_subject(&info.id)).await?);
        let listed = sessions::advertise(&client, info).await?;
        let now = Timestamp::now();
        Ok(Agent {
            client,
            session: info.id.clone(),
            presence: presence_subject(&info.id),
            subscriptions,
            _listed: listed,
            seen: Seen::default(),
            state: None,
            created_at: now,
            last_seen: now,
            brand_new: true,
            catch_up_window: DEFAULT_CATCH_UP_WINDOW,
            catch_up_from: None,
            resume_from: None,
            seal_key: None,
            trusted: Vec::new(),
            warnings: (std::time::Instant::now(), 0),
            warned_no_jetstream: false,
        })
    }

    /// Remembers what was shown in `state` (and starts from what it holds).
    pub fn with_state(mut self, state: StateFile, brand_new: bool) -> Agent {
        self.seen = Seen::from_recent(state.state.recent.iter().map(String::as_str));
        self.created_at = state.state.created_at;
        self.last_seen = state.state.last_seen;
        self.brand_new = brand_new;
        self.state = Some(state);
        self
    }

    /// Opens sealed messages with `key` (its public half is in the session info).
    pub fn with_seal_key(mut self, key: XKey) -> Agent {
        self.seal_key = Some(key);
        self
    }

    /// Shows only messages signed by one of `keys` (none: every message).
    pub fn with_trusted(mut self, keys: Vec<String>) -> Agent {
        self.trusted = keys;
        self
    }

    /// How far back catch-up may reach.
    pub fn with_catch_up_window(mut self, window: Duration) -> Agent {
        self.catch_up_window = window;
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
            let raw = self.subscriptions.next().await?;
            if raw.subject.as_str() == self.presence {
                self.answer_presence(&raw).await;
                continue;
            }
            match self.admit(&raw, None) {
                Admission::Show(delivery) => return Some(delivery),
                // A retried send: confirm again, show nothing.
                Admission::AlreadyShown(delivery) => self.send_receipt(&delivery).await,
                Admission::Skip => {}
            }
        }
    }

    /// Starts a catch-up: what to read back from the stream. Call it once
    /// the live subscriptions are confirmed. Until [`Agent::finish_catch_up`]
    /// succeeds, every attempt reads from the same start, and the saved
    /// position does not move past it.
    pub fn catch_up(&mut self) -> CatchUp {
        let window_start = self.window_start();
        let start = *self.catch_up_from.get_or_insert_with(|| {
            if self.brand_new {
                window_start
            } else {
                (self.last_seen - signed(CATCH_UP_REWIND)).max(window_start)
            }
        });
        let mut js = jetstream::new(self.client.clone());
        js.set_timeout(catchup::REQUEST_TIMEOUT);
        CatchUp {
            js,
            subjects: [
                Target::Broadcast.subject(),
                Target::Session(self.session.clone()).subject(),
            ],
            start,
        }
    }

    /// A catch-up for live messages the client dropped, the first of them
    /// at `first_drop`: however long the agent was busy since (a blocked
    /// display), it reads from there.
    pub fn catch_up_after_drop(&mut self, first_drop: Timestamp) -> CatchUp {
        self.owe_catch_up_from(first_drop - signed(CATCH_UP_REWIND));
        self.catch_up()
    }

    /// A catch-up that goes on from the newest message the last one read:
    /// what reached the stream since.
    pub fn catch_up_after_last_read(&mut self) -> CatchUp {
        if let Some(from) = self.resume_from {
            self.owe_catch_up_from(from);
        }
        self.catch_up()
    }

    /// The next catch-up starts at `from` or earlier.
    fn owe_catch_up_from(&mut self, from: Timestamp) {
        let from = self.catch_up_from.map_or(from, |owed| owed.min(from));
        self.catch_up_from = Some(from.max(self.window_start()));
    }

    /// The oldest a catch-up may reach.
    fn window_start(&self) -> Timestamp {
        Timestamp::now() - signed(self.catch_up_window)
    }

    /// Takes what a catch-up read: the missed messages to show, oldest
    /// first, without what was already shown or expired; `Err` when it must
    /// be tried again. `live_since` is when the live subscriptions were
    /// confirmed: reading continues from there.
    pub fn finish_catch_up(
        &mut self,
        live_since: Timestamp,
        read: Result<Vec<catchup::Stored>, StreamError>,
    ) -> Result<Vec<Delivery>, StreamError> {
        let stored = match read {
            Ok(stored) => stored,
            Err(e) if e.kind() == StreamErrorKind::NoJetStream => {
                if !self.warned_no_jetstream {
                    self.warned_no_jetstream = true;
                    warn!(
                        "this NATS server has no JetStream: messages sent while this agent is \
                         offline cannot be caught up"
                    );
                }
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        let start = self.catch_up_from.take().unwrap_or(live_since);
        let read = stored.len();
        self.resume_from = Some(match stored.iter().map(|s| s.stored_at).max() {
            Some(newest) => newest - signed(READ_BACK_OVERLAP),
            None => start,
        });
        let mut missed = Vec::new();
        for s in stored {
            if let Admission::Show(delivery) = self.admit(&s.message, Some(s.stored_at)) {
                missed.push(delivery);
            }
        }
        self.brand_new = false;
        self.last_seen = self.last_seen.max(live_since);
        self.persist(None);
        if read > 0 {
            info!(
                "caught up: {} missed message(s) to show, of {read} stored since {start}",
                missed.len()
            );
        }
        Ok(missed)
    }

    /// Records a message as shown, before it is shown: a crash right after
    /// loses that one message rather than showing it twice on restart.
    pub fn mark_shown(&mut self, delivery: &Delivery) {
        if self.seen.insert(&delivery.message.id) {
            self.last_seen = self.last_seen.max(Timestamp::now());
            self.persist(Some(&delivery.message.id));
        }
    }

    /// Marks the message shown and tells a sender that waits that it is on
    /// the user's screen.
    pub async fn confirm(&mut self, delivery: &Delivery) {
        self.mark_shown(delivery);
        self.send_receipt(delivery).await;
    }

    /// Tells a sender that waits that the message is on the user's screen.
    pub async fn send_receipt(&self, delivery: &Delivery) {
        let receipt = Receipt::delivered(&delivery.message.id, &self.session);
        self.publish_receipt(delivery.receipt_to.clone(), receipt)
            .await;
    }

    /// Like [`Agent::send_receipt`], also saying whether a read receipt can
    /// follow (`read_ack`: the message is on a display with an OK action).
    pub async fn send_delivered(&self, delivery: &Delivery, read_ack: bool) {
        let receipt =
            Receipt::delivered(&delivery.message.id, &self.session).with_read_ack(read_ack);
        self.publish_receipt(delivery.receipt_to.clone(), receipt)
            .await;
    }

    /// Tells a sender that waits that the user acknowledged the message.
    pub async fn send_read_receipt(&self, ticket: &ReadTicket) {
        let receipt = Receipt::read(&ticket.message_id, &self.session);
        self.publish_receipt(Some(ticket.receipt_to.clone()), receipt)
            .await;
    }

    async fn publish_receipt(&self, receipt_to: Option<String>, receipt: Receipt) {
        let Some(receipt_to) = receipt_to else {
            return;
        };
        let payload = serde_json::to_vec(&receipt).expect("a receipt serializes");
        if let Err(e) = self.client.publish(receipt_to, payload.into()).await {
            debug!(
                "{} receipt for {} not sent: {e}",
                receipt.status, receipt.id
            );
        }
    }

    /// Decodes and filters one message; `stored_at` is set for one read
    /// back from the stream.
    fn admit(&mut self, raw: &async_nats::Message, stored_at: Option<Timestamp>) -> Admission {
        let subject = raw.subject.as_str();
        let Some(target) = Target::from_subject(subject) else {
            warn!("ignored a message on unexpected subject {subject:?}");
            return Admission::Skip;
        };
        let header = |name: &str| {
            raw.headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        // A stored message was already warned about when it came live.
        let live = stored_at.is_none();
        let opened;
        let payload = match sealing::as_sealed(&raw.payload) {
            None => &raw.payload[..],
            Some(sealed) => match self
                .seal_key
                .as_ref()
                .map(|key| sealing::open(&sealed, key))
            {
                Some(Ok(inner)) => {
                    opened = inner;
                    &opened[..]
                }
                Some(Err(e)) => {
                    self.refuse(
                        live,
                        format_args!("ignored sealed message {} on {subject}: {e}", sealed.id),
                    );
                    return Admission::Skip;
                }
                None => {
                    self.refuse(
                        live,
                        format_args!(
                            "ignored sealed message {} on {subject}: this agent has no key",
                            sealed.id
                        ),
                    );
                    return Admission::Skip;
                }
            },
        };
        let message = match envelope::decode(payload, header(MSG_ID_HEADER).as_deref()) {
            Ok(message) => message,
            Err(rejection) => {
                self.refuse(
                    live,
                    format_args!("ignored a message on {subject}: {rejection}"),
                );
                return Admission::Skip;
            }
        };
        if !self.trusted.is_empty() {
            if let Err(why) = signing::verify(&message, subject, &self.trusted) {
                self.refuse(
                    live,
                    format_args!("not showing message {} on {subject}: {why}", message.id),
                );
                return Admission::Skip;
            }
        }
        let delivery = Delivery {
            message,
            target,
            receipt_to: header(RECEIPT_TO_HEADER).filter(|s| !s.is_empty()),
        };
        let message = &delivery.message;
        if self.seen.contains(&message.id) {
            debug!("message {} was shown already", message.id);
            return Admission::AlreadyShown(delivery);
        }
        if message.is_expired(Timestamp::now()) {
            debug!("message {} expired; not shown", message.id);
            return Admission::Skip;
        }
        // Broadcasts from before this session existed are history it never had
        // to see, unless they still carry a ttl; what was sent to its id is
        // for it whenever it comes.
        let history = stored_at.is_some_and(|at| at < self.created_at);
        if history && delivery.target == Target::Broadcast && message.expires_at.is_none() {
            return Admission::Skip;
        }
        Admission::Show(delivery)
    }

    async fn answer_presence(&self, raw: &async_nats::Message) {
        let Some(reply) = raw.reply.clone() else {
            return;
        };
        let answer = serde_json::json!({ "session": self.session });
        if let Err(e) = self.client.publish(reply, answer.to_string().into()).await {
            debug!("presence answer not sent: {e}");
        }
    }

    /// Logs why a message is not shown: live ones only (stored ones were
    /// reported when they came live), and at most [`WARNINGS_PER_MINUTE`] a
    /// minute, so a flood cannot flood the log.
    fn refuse(&mut self, live: bool, why: std::fmt::Arguments) {
        if !live {
            return;
        }
        let now = std::time::Instant::now();
        let window = &mut self.warnings;
        if now.duration_since(window.0) >= Duration::from_secs(60) {
            if window.1 > WARNINGS_PER_MINUTE {
                warn!(
                    "{} more messages were not shown in the last minute",
                    window.1 - WARNINGS_PER_MINUTE
                );
            }
            *window = (now, 0);
        }
        window.1 += 1;
        if window.1 <= WARNINGS_PER_MINUTE {
            warn!("{why}");
        }
    }

    /// Saves the position, and the message just shown, if any.
    fn persist(&mut self, shown: Option<&str>) {
        // While a catch-up is pending, a restart must still start from it.
        let last_seen = match self.catch_up_from {
            Some(from) => self.last_seen.min(from + signed(CATCH_UP_REWIND)),
            None => self.last_seen,
        };
        if let Some(file) = &mut self.state {
            file.record(last_seen, shown, self.seen.recent());
        }
    }
}

/// What to do with a received message.
enum Admission {
    Show(Delivery),
    AlreadyShown(Delivery),
    Skip,
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}
