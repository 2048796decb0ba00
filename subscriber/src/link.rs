//! The link to NATS as the agent sees it: the client, connecting (and
//! reconnecting) in the background for ever ([`connect`]), each change logged once
//! (connected, disconnected, why the server cannot be reached), the moment
//! the subscriptions are confirmed live after each (re)connect (catch-up
//! starts from there), and the live messages the client dropped (replayed
//! from the stream).
//!
//! Confirmation: after each (re)connect the agent publishes to a subject
//! under its own inbox prefix (`_INBOX.<id>.…`) that it subscribed to just
//! before; the server handles a connection's commands in order, so the
//! echo coming back proves every subscription is in place. Only this agent
//! may subscribe there where the broker enforces identity, and a listener
//! elsewhere (even on `_INBOX.>` in the shared-password mode) gets a copy
//! without taking ours. Each attempt is bounded; failures are retried with
//! backoff while connected, the first ones logged at debug, then a warning
//! (`subscription_unconfirmed`).
//!
//! Refused creds: the server says "authorization violation" at every
//! retry, whatever the reason; the agent names the reason once per cause
//! and outage (`creds_refused`, its `cause` from the creds' JWT, see
//! `remote_message_cli::creds_check`), and before the first attempt when
//! the JWT's dates already tell. Ops creds are named when the server
//! refuses the agent's subscriptions.
//!
//! The client reports its events through a channel; [`Link::run`] takes them
//! in a task of its own, so that a catch-up or a blocked display in the main
//! loop never delays them. What it spawns is held by the runner's tracker
//! and ends with its cancellation token.

use crate::error::{Error, Kind};
use async_nats::Client;
use async_nats::{ClientError, ConnectErrorKind, Event, ServerError};
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::SessionId;
use remote_message_cli::connection::{Connection, SetupError, SetupErrorKind};
use remote_message_cli::creds::Holder;
use remote_message_cli::creds_check::{self, Cause, CauseKind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How often the agent pings the server: a link that died while a laptop
/// slept is noticed within about twice this.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// Messages that may wait per subscription while the agent is busy (e.g. its
/// stdout is blocked): memory stays bounded; past it the client drops them
/// and the agent replays them from the stream once it keeps up.
pub const LIVE_BUFFER: usize = 1024;

/// Longest one subscription confirmation attempt waits for its echo.
const CONFIRM_ATTEMPT: Duration = Duration::from_secs(2);

/// Pauses between confirmation attempts: doubling up to the last.
const CONFIRM_BACKOFF: [Duration; 4] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Failed confirmation attempts logged at debug before the warning.
const QUIET_FAILURES: u32 = 2;

/// At most one "could not keep up" warning per this long.
const DROP_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// A client that connects (and reconnects) in the background for ever,
/// reporting its events to `events`: with `retry_on_initial_connect` this
/// returns at once, so an agent started before the network still comes up.
pub async fn connect(
    connection: &Connection,
    session: &SessionId,
    events: mpsc::UnboundedSender<async_nats::Event>,
) -> Result<Client, Error> {
    let (options, addrs) = session_options(connection, session).await?;
    options
        .retry_on_initial_connect()
        .max_reconnects(None)
        .ping_interval(PING_INTERVAL)
        .subscription_capacity(LIVE_BUFFER)
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event);
            }
        })
        .connect(addrs)
        .await
        .map_err(|e| {
            Error::with_context(Kind::Server, connection.describe_connect_error(&e)).caused_by(e)
        })
}

/// Connects once as `session` (a command acting for the agent, e.g.
/// `subscriber answer`): no retry, an error when the server cannot be reached.
pub async fn connect_once(connection: &Connection, session: &SessionId) -> Result<Client, Error> {
    let (options, addrs) = session_options(connection, session).await?;
    options
        .connection_timeout(connection.connect_timeout())
        .connect(addrs)
        .await
        .map_err(|e| {
            Error::with_context(Kind::Server, connection.describe_connect_error(&e)).caused_by(e)
        })
}

/// The connection options of `session`: the settings, and its own inbox
/// prefix (where the broker enforces identity, only this session may
/// subscribe and publish there).
async fn session_options(
    connection: &Connection,
    session: &SessionId,
) -> Result<(async_nats::ConnectOptions, Vec<async_nats::ServerAddr>), Error> {
    let settings = |e: SetupError| Error::with_context(Kind::Settings, e.to_string()).caused_by(e);
    let options = connection
        .options(&format!("subscriber {session}"))
        .await
        .map_err(|e| match e.kind() {
            // The login `--user` was most likely meant as the session's user.
            SetupErrorKind::UserWithoutPassword => {
                let hint =
                    format!("{e}. The user the session list shows is --user-name NAME, not --user");
                Error::with_context(Kind::Settings, hint).caused_by(e)
            }
            _ => settings(e),
        })?;
    let addrs = connection.server_addrs().map_err(settings)?;
    let inbox = remote_message::roles::agent_inbox(session);
    if let Some(prefix) = &connection.inbox_prefix {
        warn!(
            event = remote_message::Event::InboxPrefixIgnored.name(),
            "inbox prefix {prefix:?} (--inbox-prefix or the nats context) is not used: the agent's \
             inbox is always {inbox}, the one the broker's per-session rules allow"
        );
    }
    Ok((options.custom_inbox_prefix(inbox), addrs))
}

/// Live messages the client dropped since the main loop last looked (it may
/// be busy showing one): when the first of them was, and a wake-up.
#[derive(Default)]
pub struct Drops {
    first: Mutex<Option<Timestamp>>,
    notify: Notify,
}

impl Drops {
    fn record(&self) {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert_with(Timestamp::now);
        self.notify.notify_one();
    }

    /// When the first of the drops not taken yet happened.
    pub async fn next(&self) -> Timestamp {
        loop {
            self.notify.notified().await;
            let taken = self.first.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(first) = taken {
                return first;
            }
        }
    }
}

/// The causes of refused creds told since the agent was last connected:
/// each is told once.
#[derive(Debug, Default)]
pub struct CredsTold(Vec<CauseKind>);

impl CredsTold {
    /// Tells, before any connection, why the server will refuse the creds
    /// when their dates already say (expired, not valid yet).
    pub fn before_connecting(connection: &Connection) -> CredsTold {
        let mut told = CredsTold::default();
        if let Some(cause) = connection.creds_out_of_date() {
            told.tell(connection, cause);
        }
        told
    }

    /// Logs `cause` (`creds_refused`), unless it was told already.
    fn tell(&mut self, connection: &Connection, cause: Cause) {
        if self.0.contains(&cause.kind()) {
            return;
        }
        self.0.push(cause.kind());
        // Ops creds connect: nothing to retry, what they do stays refused.
        let then = match cause.kind() {
            CauseKind::WrongRole => "",
            _ => "; retrying",
        };
        warn!(
            event = remote_message::Event::CredsRefused.name(),
            cause = cause.kind().name(),
            "{}{then}",
            connection.creds_refused_text(&cause)
        );
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// What the agent knows of its link, to log each change once.
pub struct Link {
    client: Client,
    connection: Connection,
    /// The servers, with secrets scrubbed, for the log.
    servers: String,
    /// The session's own subject, for the log.
    personal: String,
    /// Gets the time the subscriptions were confirmed, after each
    /// (re)connect, to catch up from.
    live_tx: mpsc::UnboundedSender<Timestamp>,
    /// Told when live messages were dropped.
    drops: Arc<Drops>,
    /// Has the agent been connected at least once?
    connected_before: bool,
    /// Has the current outage been reported already?
    outage_reported: bool,
    /// The causes of refused creds told since the agent was last connected.
    creds_told: CredsTold,
    /// When dropped messages were last reported.
    drops_reported: Option<Instant>,
    /// Counts (re)connects: a confirmation still retrying for an earlier
    /// connection stops.
    generation: Arc<AtomicU64>,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl Link {
    pub fn new(
        client: Client,
        connection: Connection,
        personal: String,
        live_tx: mpsc::UnboundedSender<Timestamp>,
        drops: Arc<Drops>,
        tasks: TaskTracker,
        cancel: CancellationToken,
    ) -> Link {
        Link {
            servers: connection.display_servers(),
            client,
            connection,
            personal,
            live_tx,
            drops,
            connected_before: false,
            outage_reported: false,
            creds_told: CredsTold::default(),
            drops_reported: None,
            generation: Arc::new(AtomicU64::new(0)),
            tasks,
            cancel,
        }
    }

    /// Starts from the causes of refused creds told before connecting.
    pub fn with_creds_told(mut self, told: CredsTold) -> Link {
        self.creds_told = told;
        self
    }

    /// Takes the client's events until they end or the agent stops.
    pub async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        let cancel = self.cancel.clone();
        while let Some(Some(event)) = cancel.run_until_cancelled(events.recv()).await {
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                let reconnect = self.connected_before;
                self.connected_before = true;
                self.outage_reported = false;
                self.creds_told.clear();
                self.confirm_subscriptions(reconnect);
            }
            Event::Disconnected => {
                self.outage_reported = true;
                warn!(
                    event = remote_message::Event::Disconnected.name(),
                    "disconnected from NATS; reconnecting"
                );
            }
            Event::ClientError(err) => {
                let refused = self.creds_refusal(&err);
                let err = self.connection.scrub(&err.to_string());
                debug!("connect attempt failed: {err}");
                if let Some(cause) = refused {
                    self.outage_reported = true;
                    self.creds_told.tell(&self.connection, cause);
                } else if !self.outage_reported {
                    self.outage_reported = true;
                    // The client's own error says little ("IO error"): one
                    // separate attempt tells the reason (refused, TLS, …).
                    self.spawn(diagnose(self.connection.clone()));
                }
            }
            Event::ServerError(err) => match self.wrong_role(&err) {
                Some(cause) => self.creds_told.tell(&self.connection, cause),
                None => warn!(
                    event = remote_message::Event::ServerError.name(),
                    "NATS server error: {err}"
                ),
            },
            Event::SlowConsumer(_) => {
                let now = Instant::now();
                if self
                    .drops_reported
                    .is_none_or(|at| now.duration_since(at) >= DROP_WARNING_INTERVAL)
                {
                    self.drops_reported = Some(now);
                    warn!(
                        event = remote_message::Event::LiveDropped.name(),
                        "the agent could not keep up: live messages were dropped (over {} \
                         waiting); reading them back from the stream",
                        LIVE_BUFFER
                    );
                }
                self.drops.record();
            }
            Event::LameDuckMode => info!("NATS server is shutting down; will move to another"),
            Event::Draining | Event::Closed => debug!("connection {event}"),
        }
    }

    /// Why the server refused the creds, when `err` is its "authorization
    /// violation" at a connect attempt; `None` for other errors, or
    /// without creds.
    fn creds_refusal(&self, err: &ClientError) -> Option<Cause> {
        let refused = ConnectErrorKind::AuthorizationViolation.to_string();
        match err {
            ClientError::Other(text) if *text == refused => self.connection.creds_refused_because(),
            _ => None,
        }
    }

    /// Ops creds, when the server refuses what the agent does: ops may not
    /// subscribe to `broadcast` nor publish the subscriptions' echo, and
    /// each retry would repeat it.
    fn wrong_role(&self, err: &ServerError) -> Option<Cause> {
        let ServerError::Other(text) = err else {
            return None;
        };
        if !text.to_lowercase().contains("permissions violation") {
            return None;
        }
        creds_check::wrong_role(&self.connection.creds_identity()?, Holder::Agent)
    }

    /// The subscriptions are (re)sent on connect; a round trip proves the
    /// server has them before the agent says it is listening.
    fn confirm_subscriptions(&self, reconnect: bool) {
        let verb = if reconnect {
            "reconnected"
        } else {
            "connected"
        };
        let line = format!(
            "{verb} to NATS at {}; subscribed to broadcast and {}",
            self.servers, self.personal
        );
        let client = self.client.clone();
        let live_tx = self.live_tx.clone();
        let generation = self.generation.clone();
        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.spawn(async move {
            let current = || generation.load(Ordering::SeqCst) == mine;
            let mut failures = 0u32;
            loop {
                let live_since = Timestamp::now();
                match confirm_once(&client).await {
                    Ok(()) if current() => {
                        info!(
                            event = remote_message::Event::Subscribed.name(),
                            reconnect, "{line}"
                        );
                        let _ = live_tx.send(live_since);
                        return;
                    }
                    Ok(()) => return,
                    Err(e) => {
                        failures += 1;
                        if failures <= QUIET_FAILURES {
                            debug!("subscription confirmation failed ({failures}): {e}; retrying");
                        } else {
                            warn!(
                                event = remote_message::Event::SubscriptionUnconfirmed.name(),
                                failures,
                                "the server has not confirmed the subscriptions after {failures} \
                                 attempts ({e}); retrying (catch-up waits for it)"
                            );
                        }
                    }
                }
                let pause = CONFIRM_BACKOFF[(failures as usize - 1).min(CONFIRM_BACKOFF.len() - 1)];
                tokio::time::sleep(pause).await;
                // A new connection runs its own confirmation.
                if !current()
                    || client.connection_state() != async_nats::connection::State::Connected
                {
                    debug!("subscription confirmation left to the next connection");
                    return;
                }
            }
        });
    }

    /// Runs `task` on the tracker, until it ends or the agent stops.
    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.tasks.spawn(async move {
            cancel.run_until_cancelled(task).await;
        });
    }
}

/// Why one confirmation attempt failed.
#[derive(Debug, thiserror::Error)]
enum ConfirmError {
    #[error("cannot subscribe: {0}")]
    Subscribe(#[source] async_nats::SubscribeError),
    #[error("cannot publish: {0}")]
    Publish(#[source] async_nats::PublishError),
    #[error("no echo within {0:?}")]
    NoEcho(Duration),
}

/// One confirmation: subscribe to a fresh subject under the agent's own
/// inbox prefix, publish to it, and wait (bounded) for the echo.
async fn confirm_once(client: &Client) -> Result<(), ConfirmError> {
    let subject = client.new_inbox();
    let mut echo = client
        .subscribe(subject.clone())
        .await
        .map_err(ConfirmError::Subscribe)?;
    client
        .publish(subject, Default::default())
        .await
        .map_err(ConfirmError::Publish)?;
    let got = tokio::time::timeout(CONFIRM_ATTEMPT, echo.next()).await;
    let _ = echo.unsubscribe().await;
    match got {
        Ok(Some(_)) => Ok(()),
        _ => Err(ConfirmError::NoEcho(CONFIRM_ATTEMPT)),
    }
}

/// Logs why NATS cannot be reached, from one bounded connection attempt.
async fn diagnose(connection: Connection) {
    let Ok(options) = connection.options("subscriber (diagnosis)").await else {
        return;
    };
    if let Err(failure) = connection.connect(options).await {
        warn!(
            event = remote_message::Event::Unreachable.name(),
            "{failure}; retrying"
        );
    }
}
