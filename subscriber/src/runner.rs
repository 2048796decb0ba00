//! The agent process: start even before the network is up, keep the
//! subscriptions (and the entry in the session list) across every reconnect,
//! show each message (on the chosen output, see [`crate::screen`]) and
//! confirm it, send a read receipt when the user acknowledges one on the
//! desktop, and drain on SIGINT/SIGTERM.
//!
//! stderr gets one line per state change, which operators (and the tests)
//! can wait on:
//! - `listening as session <id> (user <name>, host <host>)` once at start;
//! - `connected to NATS …; subscribed to broadcast and session.<id>` and
//!   `reconnected …` once the server has confirmed every subscription;
//! - `disconnected from NATS; reconnecting` when the link drops;
//! - `output: …` once, saying where messages go (desktop or terminal).

use crate::agent::{self, Agent, Delivery};
use crate::catchup::Stored;
use crate::cli::Cli;
use crate::exec::Hook;
use crate::screen::Screen;
use crate::state::{self, StateFile};
use async_nats::{Client, Event};
use jiff::Timestamp;
use remote_message::stream::StreamError;
use remote_message::{SessionId, Target};
use remote_message_cli::connection::{self, ConnectionArgs};
use remote_message_cli::exit;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

/// How often the agent pings the server: a link that died while a laptop
/// slept is noticed within about twice this.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// Longest pause between two attempts of a failing catch-up.
const CATCH_UP_RETRY_MAX: Duration = Duration::from_secs(5);

/// How long live messages wait for a failing catch-up before they are shown
/// anyway (out of order with the missed ones).
const HOLD_LIVE_LIMIT: Duration = Duration::from_secs(30);

/// How long a drain on shutdown may take before the agent exits anyway.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// Messages that may wait per subscription while the agent is busy (e.g. its
/// stdout is blocked): memory stays bounded; past it the client drops them
/// and the agent reads them back from the stream once it keeps up.
pub const LIVE_BUFFER: usize = 1024;

/// How long after live messages were dropped they may still be on their
/// way into the stream (its writes lag behind live delivery under load): a
/// read started this long after the last drop finds every dropped one.
const STORE_LAG_ALLOWANCE: Duration = Duration::from_secs(5);

/// At most one "could not keep up" warning per this long.
const DROP_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Runs the agent until SIGINT/SIGTERM; returns the exit code.
pub async fn run(cli: Cli) -> i32 {
    let state = match cli.state_dir.clone().or_else(state::default_dir) {
        Some(dir) => match StateFile::open(&dir, cli.session_id.clone()) {
            Ok(state) => Some(state),
            Err(e) => {
                error!("{e}");
                return exit::USAGE;
            }
        },
        None => {
            warn!("no state directory (set --state-dir): a restarted agent will not catch up");
            None
        }
    };
    let session = match (&state, &cli.session_id) {
        (Some(state), _) => state.session_id().clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => SessionId::random(),
    };
    let personal = Target::Session(session.clone()).subject();
    let mut info = agent::session_info(session.clone(), cli.user_name.clone(), cli.labels.clone());
    // Without a state dir the key lasts as long as the process.
    let seal_key = match &state {
        Some(state) => state.seal_key(),
        None => nkeys::XKey::new(),
    };
    info.xkey = Some(seal_key.public_key());
    info!(
        "listening as session {session} (user {}, host {})",
        info.user, info.host
    );

    // Where messages go is settled (and said) before any can arrive.
    let hook = match cli.exec.as_deref() {
        Some(program) => match Hook::start(program, cli.exec_timeout) {
            Ok(hook) => Some(hook),
            Err(e) => {
                error!("{e}");
                return exit::USAGE;
            }
        },
        None => None,
    };
    // Messages the user acknowledged on the desktop, to confirm as read.
    let (acks_tx, mut acks) = mpsc::unbounded_channel();
    let mut screen = Screen::open(cli.output, hook, acks_tx).await;

    let connection = &cli.connection;
    let (options, addrs) = match (
        connection.options(&format!("subscriber {session}")).await,
        connection.server_addrs(),
    ) {
        (Ok(options), Ok(addrs)) => (options, addrs),
        (Err(e), _) | (_, Err(e)) => {
            error!("{e}");
            return exit::USAGE;
        }
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let options = options
        .retry_on_initial_connect()
        .max_reconnects(None)
        .ping_interval(PING_INTERVAL)
        .subscription_capacity(LIVE_BUFFER)
        .event_callback(move |event| {
            let events_tx = events_tx.clone();
            async move {
                let _ = events_tx.send(event);
            }
        });
    // With retry_on_initial_connect this returns at once and connects in the
    // background, so an agent started before the network still comes up.
    let client = match options.connect(addrs).await {
        Ok(client) => client,
        Err(e) => {
            error!("{}", connection.describe_connect_error(&e));
            return exit::SERVER;
        }
    };
    // Every subscription is queued before the event loop runs, so the round
    // trip that follows the first Connected event confirms all of them.
    let mut agent = match Agent::start(client.clone(), &info).await {
        Ok(agent) => agent
            .with_catch_up_window(cli.catch_up_window)
            .with_seal_key(seal_key)
            .with_trusted(cli.trust.clone()),
        Err(e) => {
            error!("cannot subscribe: {e}");
            return exit::FAILURE;
        }
    };
    if let Some(state) = state {
        let fresh = state.fresh;
        agent = agent.with_state(state, fresh);
    }

    let (Ok(mut sigterm), Ok(mut sigint)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        error!("cannot install the SIGTERM/SIGINT handlers");
        return exit::FAILURE;
    };
    // Signals are taken by their own task: showing a message may wait on a
    // stdout nobody reads, and that must not keep the agent from stopping.
    let (stop_tx, mut stop) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let why = tokio::select! {
            _ = sigterm.recv() => "SIGTERM",
            _ = sigint.recv() => "SIGINT",
        };
        let _ = stop_tx.send(why);
        let limit = DRAIN_LIMIT + Duration::from_secs(1);
        tokio::time::sleep(limit).await;
        warn!("{why}: not stopped within {limit:?} (is the output blocked?); exiting now");
        std::process::exit(exit::OK);
    });

    // Link events are logged by their own task, so that a catch-up in the
    // main loop never delays them.
    let (live_tx, mut live) = mpsc::unbounded_channel();
    let drops = Arc::new(Drops::default());
    let mut link = LinkState::new(live_tx, drops.clone());
    let servers = connection.display_servers();
    let scrubber = connection.clone();
    let events_client = client.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            link.on_event(event, &events_client, &servers, &personal, &scrubber);
        }
    });
    let mut drain_deadline = None;
    let mut catching_up = CatchUpState::default();
    loop {
        let retry_at = catching_up.retry_at;
        tokio::select! {
            // Live messages wait while a catch-up runs, so that missed ones
            // are shown first, in order.
            delivery = agent.next(), if !catching_up.holds_live() => {
                let Some(delivery) = delivery else { break }; // drained
                if let Err(code) = show(&mut agent, &mut screen, delivery).await {
                    return code;
                }
            }
            Some(ticket) = acks.recv() => {
                agent.send_read_receipt(&ticket).await;
            }
            Some(live_since) = live.recv(), if drain_deadline.is_none() => {
                catching_up.start(live_since, &mut agent);
            }
            first_drop = drops.next(), if drain_deadline.is_none() => {
                catching_up.after_drops(first_drop, &mut agent);
            }
            read = catching_up.job(), if catching_up.running() => {
                // None: it failed and a retry is scheduled.
                for delivery in catching_up.finish(&mut agent, read).unwrap_or_default() {
                    if let Err(code) = show(&mut agent, &mut screen, delivery).await {
                        return code;
                    }
                }
            }
            _ = sleep_until(retry_at), if retry_at.is_some() => {
                catching_up.on_timer(&mut agent);
            }
            Some(why) = stop.recv(), if drain_deadline.is_none() => {
                drain_deadline = Some(start_drain(&client, why).await);
            }
            _ = sleep_until(drain_deadline) => {
                warn!("drain did not finish within {DRAIN_LIMIT:?}; exiting anyway");
                break;
            }
        }
    }
    info!("stopped");
    exit::OK
}

/// A running read of the stream.
type CatchUpJob = Pin<Box<dyn Future<Output = Result<Vec<Stored>, StreamError>> + Send>>;

/// A catch-up in progress: the running read, or the retry after a failed one
/// (or the follow-up after dropped live messages).
#[derive(Default)]
struct CatchUpState {
    /// When the live subscriptions were confirmed; set while a catch-up is owed.
    live_since: Option<Timestamp>,
    job: Option<CatchUpJob>,
    /// When the running read was started: it sees what was stored by then.
    job_started: Option<Instant>,
    /// When to retry a failed read, or start a follow-up one.
    retry_at: Option<Instant>,
    failures: u32,
    /// When the first failure of this catch-up happened.
    failing_since: Option<Instant>,
    /// Live messages were dropped while this catch-up was owed: another
    /// one follows it at once.
    owed_again: bool,
    /// When live messages were last dropped, until a read started at least
    /// [`STORE_LAG_ALLOWANCE`] later has succeeded.
    dropped_at: Option<Instant>,
}

impl CatchUpState {
    /// After a (re)connect: read what was missed (again, if a catch-up was
    /// still owed: the agent keeps its original start).
    fn start(&mut self, live_since: Timestamp, agent: &mut Agent) {
        let catch_up = agent.catch_up();
        self.run(live_since, catch_up);
    }

    fn run(&mut self, live_since: Timestamp, catch_up: agent::CatchUp) {
        self.live_since = Some(live_since);
        self.retry_at = None;
        self.job_started = Some(Instant::now());
        self.job = Some(Box::pin(catch_up.run()));
    }

    /// After live messages were dropped (the first of them at `first_drop`):
    /// read them back from the stream, now or right after the catch-up
    /// under way.
    fn after_drops(&mut self, first_drop: Timestamp, agent: &mut Agent) {
        self.dropped_at = Some(Instant::now());
        if self.live_since.is_some() {
            self.owed_again = true;
        } else {
            let catch_up = agent.catch_up_after_drop(first_drop);
            self.run(Timestamp::now(), catch_up);
        }
    }

    /// A failed read is tried again; with none owed, a follow-up read starts.
    fn on_timer(&mut self, agent: &mut Agent) {
        let catch_up = match self.live_since {
            Some(_) => agent.catch_up(),
            None => agent.catch_up_after_last_read(),
        };
        self.run(self.live_since.unwrap_or_else(Timestamp::now), catch_up);
    }

    fn running(&self) -> bool {
        self.job.is_some()
    }

    async fn job(&mut self) -> Result<Vec<Stored>, StreamError> {
        match &mut self.job {
            Some(job) => job.await,
            None => std::future::pending().await,
        }
    }

    /// Live messages are held while a catch-up is owed, unless it has been
    /// failing for too long: then live messages go on, missed ones follow.
    fn holds_live(&self) -> bool {
        self.live_since.is_some()
            && self
                .failing_since
                .is_none_or(|since| since.elapsed() < HOLD_LIVE_LIMIT)
    }

    /// The missed messages to show, or `None` when a retry was scheduled.
    fn finish(
        &mut self,
        agent: &mut Agent,
        read: Result<Vec<Stored>, StreamError>,
    ) -> Option<Vec<Delivery>> {
        self.job = None;
        let live_since = self.live_since.unwrap_or_else(Timestamp::now);
        match agent.finish_catch_up(live_since, read) {
            Ok(missed) => {
                let started = self.job_started.unwrap_or_else(Instant::now);
                let again = self.owed_again;
                let dropped_at = self.dropped_at;
                *self = CatchUpState::default();
                let now = Instant::now();
                if let Some(at) = dropped_at.and_then(|d| read_again_at(started, d, again, now)) {
                    self.dropped_at = dropped_at;
                    // Due now: start it here, so that live messages keep
                    // waiting behind the dropped ones.
                    if at <= now {
                        let catch_up = agent.catch_up_after_last_read();
                        self.run(Timestamp::now(), catch_up);
                    } else {
                        self.retry_at = Some(at);
                    }
                }
                Some(missed)
            }
            Err(e) => {
                self.failures += 1;
                let delay = CATCH_UP_RETRY_MAX
                    .min(Duration::from_millis(250) * 2u32.pow(self.failures.min(6)));
                let since = *self.failing_since.get_or_insert_with(Instant::now);
                warn!("catch-up failed ({e}); retrying in {delay:?}");
                if since.elapsed() >= HOLD_LIVE_LIMIT {
                    warn!("catch-up keeps failing: showing live messages meanwhile; missed ones follow");
                }
                self.retry_at = Some(Instant::now() + delay);
                None
            }
        }
    }
}

/// After a successful read that started at `started`, with live messages
/// last dropped at `dropped_at` (`again`: some during the read): when to
/// read again, from where it ended, or `None` when every dropped message
/// has been read back. Dropped messages may reach the stream after a read
/// looked (its writes lag behind live delivery under load), so the last
/// read must start [`STORE_LAG_ALLOWANCE`] after the last drop.
fn read_again_at(
    started: Instant,
    dropped_at: Instant,
    again: bool,
    now: Instant,
) -> Option<Instant> {
    let settled = dropped_at + STORE_LAG_ALLOWANCE;
    if again {
        Some(now)
    } else if started < settled {
        Some(settled.max(now))
    } else {
        None
    }
}

/// Live messages the client dropped since the main loop last looked (it
/// may be busy showing one): when the first of them was, and a wake-up.
#[derive(Default)]
struct Drops {
    first: std::sync::Mutex<Option<Timestamp>>,
    notify: Notify,
}

impl Drops {
    fn record(&self) {
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert_with(Timestamp::now);
        self.notify.notify_one();
    }

    /// When the first of the drops not taken yet happened.
    async fn next(&self) -> Timestamp {
        loop {
            self.notify.notified().await;
            let taken = self.first.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(first) = taken {
                return first;
            }
        }
    }
}

/// Logs why NATS cannot be reached, from one bounded connection attempt.
async fn diagnose(connection: ConnectionArgs) {
    let Ok(options) = connection.options("subscriber (diagnosis)").await else {
        return;
    };
    if let Err(failure) = connection.connect(options).await {
        warn!("{failure}; retrying");
    }
}

/// Shows one message and confirms it; only a failing stdout stops the agent.
/// It is recorded as shown first: a crash in between loses that message
/// rather than showing it twice after a restart.
async fn show(agent: &mut Agent, screen: &mut Screen, delivery: Delivery) -> Result<(), i32> {
    agent.mark_shown(&delivery);
    match screen.show(&delivery).await {
        Ok(read_ack) => agent.send_delivered(&delivery, read_ack).await,
        Err(e) => {
            error!("cannot write to stdout ({e}): stopping");
            return Err(exit::FAILURE);
        }
    }
    Ok(())
}

async fn start_drain(client: &Client, why: &str) -> Instant {
    info!("{why}: draining and stopping");
    if let Err(e) = client.drain().await {
        debug!("drain: {e}");
    }
    Instant::now() + DRAIN_LIMIT
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What the agent knows of its link to NATS, to log each change once.
struct LinkState {
    /// Gets the time the subscriptions were confirmed live, after each
    /// (re)connect, to catch up from.
    live_tx: mpsc::UnboundedSender<Timestamp>,
    /// Has the agent been connected at least once?
    connected_before: bool,
    /// Has the current outage been reported already?
    outage_reported: bool,
    /// Told when live messages were dropped.
    drops: Arc<Drops>,
    /// When dropped messages were last reported.
    drops_reported: Option<std::time::Instant>,
}

impl LinkState {
    fn new(live_tx: mpsc::UnboundedSender<Timestamp>, drops: Arc<Drops>) -> LinkState {
        LinkState {
            live_tx,
            connected_before: false,
            outage_reported: false,
            drops,
            drops_reported: None,
        }
    }

    fn on_event(
        &mut self,
        event: Event,
        client: &Client,
        servers: &str,
        personal: &str,
        secrets: &ConnectionArgs,
    ) {
        match event {
            Event::Connected => {
                let verb = if self.connected_before {
                    "reconnected"
                } else {
                    "connected"
                };
                self.connected_before = true;
                self.outage_reported = false;
                // The subscriptions are (re)sent on connect; a round trip
                // proves the server has them before we say we are listening.
                let client = client.clone();
                let live_tx = self.live_tx.clone();
                let line =
                    format!("{verb} to NATS at {servers}; subscribed to broadcast and {personal}");
                tokio::spawn(async move {
                    let live_since = Timestamp::now();
                    match connection::round_trip(&client).await {
                        Ok(()) => {
                            info!("{line}");
                            let _ = live_tx.send(live_since);
                        }
                        Err(e) => debug!("subscription confirmation failed: {e}"),
                    }
                });
            }
            Event::Disconnected => {
                self.outage_reported = true;
                warn!("disconnected from NATS; reconnecting");
            }
            Event::ClientError(err) => {
                let err = secrets.scrub(&err.to_string());
                debug!("connect attempt failed: {err}");
                if !self.outage_reported {
                    self.outage_reported = true;
                    // The client's own error says little ("IO error"): one
                    // separate attempt tells the reason (refused, TLS, …).
                    tokio::spawn(diagnose(secrets.clone()));
                }
            }
            Event::ServerError(err) => warn!("NATS server error: {err}"),
            Event::SlowConsumer(_) => {
                let now = std::time::Instant::now();
                if self
                    .drops_reported
                    .is_none_or(|at| now.duration_since(at) >= DROP_WARNING_INTERVAL)
                {
                    self.drops_reported = Some(now);
                    warn!(
                        "the agent could not keep up: live messages were dropped (over \
                         {LIVE_BUFFER} waiting); reading them back from the stream"
                    );
                }
                self.drops.record();
            }
            Event::LameDuckMode => info!("NATS server is shutting down; will move to another"),
            Event::Draining | Event::Closed => debug!("connection {event}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Messages dropped while a read ran may not be in what it saw: read
    /// again at once.
    #[test]
    fn drops_during_a_read_are_read_back_at_once() {
        let t = Instant::now();
        let now = t + 20 * SECOND;
        assert_eq!(read_again_at(t, t - SECOND, true, now), Some(now));
    }

    /// The CI failure: the read started right after the drops, while the
    /// stream still lacked the last dropped messages, and showing what it
    /// found took longer than the allowance: read again at once.
    #[test]
    fn a_read_started_soon_after_the_drops_is_followed_by_another() {
        let dropped = Instant::now();
        let started = dropped + SECOND / 2;
        let now = dropped + 13 * SECOND;
        assert_eq!(read_again_at(started, dropped, false, now), Some(now));
        // Done quickly: the next read waits until the stream has settled.
        let now = started + SECOND;
        assert_eq!(
            read_again_at(started, dropped, false, now),
            Some(dropped + STORE_LAG_ALLOWANCE)
        );
    }

    /// A read that started the allowance after the last drop saw every
    /// dropped message: no more reads.
    #[test]
    fn a_read_started_after_the_allowance_ends_the_recovery() {
        let dropped = Instant::now();
        let started = dropped + STORE_LAG_ALLOWANCE;
        assert_eq!(
            read_again_at(started, dropped, false, started + SECOND),
            None
        );
    }
}
