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
use remote_message::envelope::{self, MSG_ID_HEADER, RECEIPT_TO_HEADER};
use remote_message::sessions::{self, Receipt, SessionInfo};
use remote_message::stream::StreamError;
use remote_message::subject::presence_subject;
use remote_message::{identity, Incoming, SessionId, Target};
use std::time::Duration;
use tracing::{debug, info, warn};

/// How far before the last message shown a catch-up starts reading: clock
/// skew between this machine and the server up to this much loses nothing
/// (what is read twice is dropped by id).
pub const CATCH_UP_REWIND: Duration = Duration::from_secs(120);

/// How far back a catch-up may reach when `--catch-up-window` is not given.
pub const DEFAULT_CATCH_UP_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// A message to show.
#[derive(Debug)]
pub struct Delivery {
    pub message: Incoming,
    pub target: Target,
    /// Where the sender waits for a receipt, if it does.
    receipt_to: Option<String>,
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
            warned_no_jetstream: false,
        })
    }

    /// Remembers what was shown in `state` (and starts from what it holds).
    pub fn with_state(mut self, state: StateFile, brand_new: bool) -> Agent {
        self.seen = Seen::from_recent(&state.state.recent);
        self.created_at = state.state.created_at;
        self.last_seen = state.state.last_seen;
        self.brand_new = brand_new;
        self.state = Some(state);
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
        let start = *self.catch_up_from.get_or_insert_with(|| {
            let window_start = Timestamp::now() - signed(self.catch_up_window);
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
            Err(StreamError::NoJetStream) => {
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
        let missed: Vec<Delivery> = stored
            .into_iter()
            .filter_map(|s| match self.admit(&s.message, Some(s.stored_at)) {
                Admission::Show(delivery) => Some(delivery),
                Admission::AlreadyShown(_) | Admission::Skip => None,
            })
            .collect();
        self.brand_new = false;
        self.last_seen = self.last_seen.max(live_since);
        self.save();
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
        if self.seen.insert(delivery.message.id.clone()) {
            self.last_seen = self.last_seen.max(Timestamp::now());
            self.save();
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
        let Some(receipt_to) = delivery.receipt_to.clone() else {
            return;
        };
        let receipt = Receipt::delivered(&delivery.message.id, &self.session);
        let receipt = serde_json::to_vec(&receipt).expect("a receipt serializes");
        if let Err(e) = self.client.publish(receipt_to, receipt.into()).await {
            debug!("receipt for {} not sent: {e}", delivery.message.id);
        }
    }

    /// Decodes and filters one message; `stored_at` is set for one read
    /// back from the stream.
    fn admit(&self, raw: &async_nats::Message, stored_at: Option<Timestamp>) -> Admission {
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
        let message = match envelope::decode(&raw.payload, header(MSG_ID_HEADER).as_deref()) {
            Ok(message) => message,
            Err(rejection) => {
                // A stored message was already warned about when it came live.
                if stored_at.is_none() {
                    warn!("ignored a message on {subject}: {rejection}");
                }
                return Admission::Skip;
            }
        };
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

    fn save(&mut self) {
        // While a catch-up is pending, a restart must still start from it.
        let last_seen = match self.catch_up_from {
            Some(from) => self.last_seen.min(from + signed(CATCH_UP_REWIND)),
            None => self.last_seen,
        };
        if let Some(file) = &mut self.state {
            file.state.last_seen = last_seen;
            file.state.recent = self.seen.recent().clone();
            file.save();
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
