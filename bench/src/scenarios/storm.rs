//! Reconnect storm: every session's broker dies and comes back on the same
//! store, and every agent reconnects and catches up at once.
//!
//! A server of its own (so the other figures' stream and sessions stay out
//! of it) with `n` sessions, each one connection running the agent core
//! with the real catch-up ([`subscriber::catchup`]: on every reconnect the
//! subscriptions are confirmed by a round trip and a replay of the stream
//! starts, as the `subscriber` runner does it). Then:
//!
//! 1. the server is killed (SIGKILL: no lame-duck mode);
//! 2. [`DURING`] broadcasts are sent meanwhile (the publisher's client holds
//!    them until it is back);
//! 3. the server is started again on the same port and store; from the
//!    moment it greets, the clock runs;
//! 4. [`AFTER`] broadcasts are sent right away, while the sessions are still
//!    reconnecting; a send whose acknowledgement fails is sent again with the
//!    same id, as `publisher send` tells ops to.
//!
//! Raw, first, on the same server: `n` plain async-nats clients, each with
//! the two subscriptions a session has (`raw.broadcast`,
//! `raw.session.<i>`), go through the same kill and restart; the time until
//! every one is back with its subscriptions confirmed by a round trip. Then
//! ours (its own `n` connections: both fleets at once would need 2 × `n`
//! descriptors): the time until every session is back with its
//! subscriptions confirmed (the agent is live again), and until every
//! session has shown every one of the storm's messages. Each message must
//! be shown exactly once per session; a duplicate or a missing one is a
//! failure. Also: the server's peak memory after the restart and the
//! JetStream API requests it answered (the restarted server counts from
//! zero).

use crate::fleet::Recorded;
use crate::ours::Publisher;
use crate::server::Server;
use crate::stats::{now_ns, round2};
use async_nats::{ConnectOptions, Event};
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::sessions::SessionInfo;
use remote_message::SessionId;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use subscriber::agent::Agent;
use subscriber::catchup::driver::Driver;
use subscriber::catchup::CatchUp;
use subscriber::delivery::Delivery;
use subscriber::identity;
use tokio::sync::{mpsc, Notify};

/// Broadcasts sent while the server is down.
pub const DURING: usize = 2;
/// Broadcasts sent as soon as it is back.
pub const AFTER: usize = 2;

/// Reconnect attempts of a storm connection: far more than a storm takes.
const RECONNECTS: usize = 30;

/// Sessions connecting at once before the storm.
const CONNECT_PARALLEL: usize = 200;

/// Times a storm message is sent again (same id) when its acknowledgement
/// fails while the server's JetStream recovers.
const RESENDS: usize = 5;

#[derive(Debug, Serialize)]
pub struct Storm {
    pub sessions: usize,
    /// Messages sent during the outage and right after it.
    pub messages: usize,
    /// Server back (its greeting, or the first connection back if earlier)
    /// → the last raw client is back, subscriptions confirmed.
    pub raw_reconnected_s: f64,
    /// Server back → the last session is back, subscriptions confirmed.
    pub ours_reconnected_s: f64,
    /// Server back → the last session has shown every message (ours).
    pub ours_all_shown_s: f64,
    /// Reconnected, ours / raw.
    pub ratio: f64,
    /// All shown (ours) / reconnected (raw).
    pub all_shown_ratio: f64,
    /// Messages shown twice by a session (must be 0).
    pub duplicates: u64,
    /// (session, message) pairs never shown (must be 0).
    pub missing: usize,
    /// The first few of them, as `session#message` (message 0 to
    /// DURING − 1 were sent during the outage).
    pub missing_examples: Vec<String>,
    /// nats-server peak RSS after the restart (VmHWM), KiB.
    pub server_peak_rss_kib: u64,
    /// JetStream API requests the restarted server answered (and errors).
    pub js_api_requests: u64,
    pub js_api_errors: u64,
    /// Sends that were sent again because their acknowledgement failed.
    pub resends: usize,
    /// Rows the ledger stored for the storm's messages (one per session
    /// and message shown).
    pub ledger_writes: u64,
}

/// Connections back after the kill, subscriptions confirmed.
struct Comebacks {
    count: AtomicUsize,
    /// First and last comeback (`first_ns` starts at `u64::MAX`).
    first_ns: AtomicU64,
    last_ns: AtomicU64,
    /// Set when the server is killed: reconnects before it do not count.
    armed: AtomicBool,
    /// Any comeback, or (ours) any message shown.
    changed: Notify,
}

impl Default for Comebacks {
    fn default() -> Comebacks {
        Comebacks {
            count: AtomicUsize::new(0),
            first_ns: AtomicU64::new(u64::MAX),
            last_ns: AtomicU64::new(0),
            armed: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }
}

impl Comebacks {
    /// When the server was back: the bench saw its greeting at `greeted`
    /// (polling), or a connection came back before that.
    fn origin(&self, greeted: u64) -> u64 {
        greeted.min(self.first_ns.load(Ordering::SeqCst))
    }

    /// Seconds from `origin` to `at`, in milliseconds' precision.
    fn secs_since(origin: u64, at: u64) -> f64 {
        (at.saturating_sub(origin) as f64 / 1e6).round() / 1e3
    }
    fn came_back(&self) {
        if !self.armed.load(Ordering::SeqCst) {
            return;
        }
        let at = now_ns();
        self.first_ns.fetch_min(at, Ordering::SeqCst);
        self.last_ns.fetch_max(at, Ordering::SeqCst);
        self.count.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Waits (at most `limit`) until `n` connections are back and `done`.
    async fn settle(&self, n: usize, limit: Duration, done: impl Fn() -> bool) {
        let settled = async {
            while !(done() && self.count.load(Ordering::SeqCst) >= n) {
                self.changed.notified().await;
            }
        };
        let _ = tokio::time::timeout(limit, settled).await;
    }
}

/// How long a storm may take to settle: one that has not by then lost
/// something.
fn settle_limit(n: usize) -> Duration {
    Duration::from_secs(30) + Duration::from_millis(2 * n as u64)
}

/// One storm fleet's connections and the tasks that use them, closed on
/// every path so that the figures after the storm have the descriptors:
/// dropping it aborts the tasks (each holds a client handle), and a
/// connection closes with its last handle.
#[derive(Default)]
struct Held {
    clients: Vec<async_nats::Client>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Held {
    /// Aborts the tasks and drains the connections (bounded: the server
    /// may be the one that no longer answers).
    async fn close(mut self) {
        self.abort();
        let clients = std::mem::take(&mut self.clients);
        let closing = futures::stream::iter(clients)
            .for_each_concurrent(CONNECT_PARALLEL, |c| async move {
                let _ = c.drain().await;
            });
        let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;
    }

    fn abort(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.abort();
    }
}

/// What the storm's sessions record.
struct Record {
    messages: usize,
    /// Times each (session, message) was shown.
    shown: Vec<AtomicU8>,
    /// Pairs still to be shown.
    remaining: AtomicUsize,
    duplicates: AtomicU64,
    last_shown_ns: AtomicU64,
    back: Comebacks,
}

impl Record {
    fn shown(&self, session: usize, text: &str) {
        let Some(k) = text
            .strip_prefix("bench|s|")
            .and_then(|rest| rest.split('|').next())
            .and_then(|k| k.parse::<usize>().ok())
            .filter(|&k| k < self.messages)
        else {
            return;
        };
        let at = now_ns();
        if self.shown[session * self.messages + k].fetch_add(1, Ordering::SeqCst) > 0 {
            self.duplicates.fetch_add(1, Ordering::SeqCst);
            return;
        }
        self.last_shown_ns.fetch_max(at, Ordering::SeqCst);
        self.remaining.fetch_sub(1, Ordering::SeqCst);
        self.back.changed.notify_one();
    }
}

/// The storm text of message `k`.
fn text(k: usize) -> String {
    let mut t = format!("bench|s|{k}|");
    t.extend(std::iter::repeat_n('x', super::TEXT_BYTES.saturating_sub(t.len())));
    t
}

/// [`run`] on a tokio runtime of its own, shut down after it: every
/// connection and task of the storm ends with it, whatever a failed storm
/// left them doing (connections to a server that stopped answering may
/// never finish draining, and held 10,000 descriptors the fleet after the
/// storm needed).
pub fn run_isolated(n: usize, sender: &str) -> Result<Storm, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("storm runtime: {e}"))?;
    let outcome = runtime.block_on(run(n, sender));
    runtime.shutdown_timeout(Duration::from_secs(5));
    outcome
}

async fn run(n: usize, sender: &str) -> Result<Storm, String> {
    let messages = DURING + AFTER;
    let mut server = Server::start(&format!("storm-{n}"))?;
    let url = server.url();
    let raw_reconnected_s = raw_storm(&mut server, n).await?;
    let record = Arc::new(Record {
        messages,
        shown: (0..n * messages).map(|_| AtomicU8::new(0)).collect(),
        remaining: AtomicUsize::new(n * messages),
        duplicates: AtomicU64::new(0),
        last_shown_ns: AtomicU64::new(0),
        back: Comebacks::default(),
    });
    let template = identity::session_info(session_id(0), remote_message::UserName::parse("storm").ok(), []);
    let joined = futures::stream::iter(0..n)
        .map(|index| {
            let info = SessionInfo {
                id: session_id(index),
                ..template.clone()
            };
            tokio::spawn(session(url.clone(), info, index, record.clone()))
        })
        .buffered(CONNECT_PARALLEL)
        .collect::<Vec<_>>()
        .await;
    let mut held = Held::default();
    let mut failed = None;
    for j in joined {
        match j.map_err(|e| format!("storm session task: {e}")).and_then(|c| c) {
            Ok((client, tasks)) => {
                held.clients.push(client);
                held.tasks.extend(tasks);
            }
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    let outcome = match failed {
        Some(e) => Err(e),
        None => storm(&mut server, n, sender, &record, raw_reconnected_s).await,
    };
    held.close().await;
    let storm = outcome?;
    let back = record.back.count.load(Ordering::SeqCst);
    if back < n {
        return Err(format!(
            "storm at {n} sessions: only {back} connections came back in time"
        ));
    }
    Ok(storm)
}

/// Kills and restarts the server around the storm's sends and measures
/// until every session showed every message (bounded).
async fn storm(
    server: &mut Server,
    n: usize,
    sender: &str,
    record: &Record,
    raw_reconnected_s: f64,
) -> Result<Storm, String> {
    let messages = record.messages;
    let url = server.url();
    let connection = remote_message_cli::connection::ConnectionArgs {
        server: url.clone(),
        ..Default::default()
    };
    let link = publisher::link::Link::open(&connection)
        .await
        .map_err(|e| format!("storm publisher connection: {e}"))?;
    let ours = Publisher::new(link).await?;
    // The ledger on, as `publisher setup` leaves it: every session writes
    // its `delivered` row as it shows a storm message.
    crate::ledger::set_up(ours.client()).await?;
    let outgoing = (0..messages)
        .map(|k| ours.broadcast_message(text(k), sender))
        .collect::<Result<Vec<_>, _>>()?;

    record.back.armed.store(true, Ordering::SeqCst);
    server.kill();
    let mut pending = Vec::new();
    for m in &outgoing[..DURING] {
        pending.push(ours.publish(m).await?);
    }
    server.start_again()?;
    let ready = now_ns();
    for m in &outgoing[DURING..] {
        pending.push(ours.publish(m).await?);
    }
    let mut resends = 0;
    for (m, p) in outgoing.iter().zip(pending) {
        let mut stored = ours.stored(p).await;
        while stored.is_err() && resends < RESENDS {
            resends += 1;
            stored = match ours.publish(m).await {
                Ok(p) => ours.stored(p).await,
                Err(e) => Err(e),
            };
        }
        stored.map_err(|e| format!("storm: a broadcast was not stored after {resends} resends: {e}"))?;
    }

    record
        .back
        .settle(n, settle_limit(n), || {
            record.remaining.load(Ordering::SeqCst) == 0
        })
        .await;
    // The follow-up replays (a reconnect counts as a drop) run
    // STORE_LAG_ALLOWANCE after each session came back, spread over
    // FOLLOW_UP_SPREAD: wait for them, so that the duplicates they could
    // bring are counted and their JetStream requests too.
    use subscriber::catchup::{FOLLOW_UP_SPREAD, STORE_LAG_ALLOWANCE};
    let follow_ups_done = record.back.last_ns.load(Ordering::SeqCst)
        + (STORE_LAG_ALLOWANCE + FOLLOW_UP_SPREAD + Duration::from_secs(1)).as_nanos() as u64;
    tokio::time::sleep(Duration::from_nanos(follow_ups_done.saturating_sub(now_ns()))).await;

    let sample = crate::procs::ProcSample::of(server.pid())?;
    let ledger_writes = crate::ledger::stored(ours.client()).await?;
    let api = api_requests(ours.client()).await?;
    let origin = record.back.origin(ready);
    let secs = |at: u64| Comebacks::secs_since(origin, at);
    let back_s = secs(record.back.last_ns.load(Ordering::SeqCst));
    let shown_s = secs(record.last_shown_ns.load(Ordering::SeqCst)).max(back_s);
    let storm = Storm {
        sessions: n,
        messages,
        raw_reconnected_s,
        ours_reconnected_s: back_s,
        ours_all_shown_s: shown_s,
        ratio: round2(back_s / raw_reconnected_s.max(0.001)),
        all_shown_ratio: round2(shown_s / raw_reconnected_s.max(0.001)),
        duplicates: record.duplicates.load(Ordering::SeqCst),
        missing: record.remaining.load(Ordering::SeqCst),
        missing_examples: (0..n * messages)
            .filter(|&i| record.shown[i].load(Ordering::SeqCst) == 0)
            .take(5)
            .map(|i| format!("{}#{}", session_id(i / messages), i % messages))
            .collect(),
        server_peak_rss_kib: sample.hwm_kib,
        js_api_requests: api.0,
        js_api_errors: api.1,
        resends,
        ledger_writes,
    };
    Ok(storm)
}

/// The JetStream API requests the server answered since it started, and
/// how many failed (`$JS.API.INFO`'s `api`, read as plain JSON: the typed
/// account info of async-nats does not parse nats-server 2.9's answer).
async fn api_requests(client: &async_nats::Client) -> Result<(u64, u64), String> {
    let answer = client
        .request("$JS.API.INFO", Default::default())
        .await
        .map_err(|e| format!("storm: JetStream account info: {e}"))?;
    let info: serde_json::Value = serde_json::from_slice(&answer.payload)
        .map_err(|e| format!("storm: JetStream account info: {e}"))?;
    let field = |name: &str| info["api"][name].as_u64().unwrap_or(0);
    Ok((field("total"), field("errors")))
}

/// `storm-00042`.
fn session_id(index: usize) -> SessionId {
    SessionId::parse(&format!("storm-{index:05}")).expect("a valid session id")
}

/// Connects one session and starts its agent with catch-up; the client is
/// returned so the caller decides when it closes.
async fn session(
    url: String,
    info: SessionInfo,
    index: usize,
    record: Arc<Record>,
) -> Result<(async_nats::Client, [tokio::task::AbortHandle; 2]), String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("storm session {index}: {what}: {e}");
    let (client, events) = connect_watched(&url, format!("storm {}", info.id))
        .await
        .map_err(|e| failed("connect", &e))?;
    let (agent, answers) = crate::fleet::start_agent(&client, &info)
        .await
        .map_err(|e| failed("agent start", &e))?;
    remote_message_cli::connection::round_trip(&client)
        .await
        .map_err(|e| failed("round trip", &e))?;
    let tasks = [
        tokio::spawn(answers.run()).abort_handle(),
        tokio::spawn(run_agent(client.clone(), agent, events, index, record)).abort_handle(),
    ];
    Ok((client, tasks))
}

/// The `subscriber` runner's loop, reduced to what a storm exercises: live
/// messages, and a catch-up after each reconnect once the subscriptions are
/// confirmed; the screen replaced by [`Record::shown`].
async fn run_agent(
    client: async_nats::Client,
    mut agent: Agent,
    mut events: mpsc::UnboundedReceiver<Event>,
    index: usize,
    record: Arc<Record>,
) {
    let mut catch_up = Driver::new(
        CatchUp::new(subscriber::catchup::DEFAULT_WINDOW, false).spread_by(session_id(index).as_str()),
        agent.replays(async_nats::jetstream::new),
    );
    let mut screen = Recorded(|delivery: &Delivery| record.shown(index, &delivery.message.text));
    let mut was_down = false;
    loop {
        agent.owe_catch_up_from(catch_up.owed_from());
        tokio::select! {
            delivery = agent.next(), if !catch_up.holds_live() => {
                let Some(delivery) = delivery else { break };
                let _ = agent.show(&mut screen, delivery).await;
            }
            event = events.recv() => match event {
                Some(Event::Disconnected) => was_down = true,
                Some(Event::Connected) if was_down => {
                    was_down = false;
                    if confirm_subscriptions(&client).await {
                        record.back.came_back();
                        catch_up.on_live(Timestamp::now(), agent.last_seen());
                    }
                }
                Some(_) => {}
                None => break,
            },
            replayed = catch_up.next() => {
                agent.owe_catch_up_from(catch_up.owed_from());
                for delivery in agent.take_replayed(replayed) {
                    let _ = agent.show(&mut screen, delivery).await;
                }
            }
        }
    }
}

/// A round trip after a reconnect confirms the subscriptions, as the
/// runner's link confirms them: retried (bounded) while the server is still
/// starting.
async fn confirm_subscriptions(client: &async_nats::Client) -> bool {
    for _ in 0..100 {
        if remote_message_cli::connection::round_trip(client).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The raw baseline: `n` plain clients with a session's two subscriptions
/// each, the server killed and restarted while a plain client publishes the
/// storm's texts on `raw.broadcast` as ours does (during the outage, then
/// right after); seconds from its greeting (or the first comeback) until
/// the last one is back with its subscriptions confirmed.
async fn raw_storm(server: &mut Server, n: usize) -> Result<f64, String> {
    let url = server.url();
    let publisher = async_nats::connect(url.as_str())
        .await
        .map_err(|e| format!("raw storm publisher: {e}"))?;
    let back = Arc::new(Comebacks::default());
    let joined = futures::stream::iter(0..n)
        .map(|index| tokio::spawn(raw_session(url.clone(), index, back.clone())))
        .buffered(CONNECT_PARALLEL)
        .collect::<Vec<_>>()
        .await;
    let mut held = Held::default();
    for j in joined {
        let (client, task) = j.map_err(|e| format!("raw storm session task: {e}"))??;
        held.clients.push(client);
        held.tasks.push(task);
    }
    let publish = |k: usize| {
        let publisher = publisher.clone();
        async move {
            publisher
                .publish("raw.broadcast", text(k).into())
                .await
                .map_err(|e| format!("raw storm publish: {e}"))
        }
    };
    back.armed.store(true, Ordering::SeqCst);
    server.kill();
    for k in 0..DURING {
        publish(k).await?;
    }
    server.start_again()?;
    let ready = now_ns();
    for k in DURING..DURING + AFTER {
        publish(k).await?;
    }
    back.settle(n, settle_limit(n), || true).await;
    held.close().await;
    let came_back = back.count.load(Ordering::SeqCst);
    if came_back < n {
        return Err(format!(
            "raw storm at {n} sessions: only {came_back} connections came back in time"
        ));
    }
    Ok(Comebacks::secs_since(
        back.origin(ready),
        back.last_ns.load(Ordering::SeqCst),
    ))
}

/// One raw client: `raw.broadcast` and `raw.session.<index>`, and a round
/// trip after each reconnect.
async fn raw_session(
    url: String,
    index: usize,
    back: Arc<Comebacks>,
) -> Result<(async_nats::Client, tokio::task::AbortHandle), String> {
    let (client, mut events) = connect_watched(&url, format!("raw storm {index}"))
        .await
        .map_err(|e| format!("raw storm session {index}: connect: {e}"))?;
    let mut subscriptions = Vec::new();
    for subject in ["raw.broadcast".to_owned(), format!("raw.session.{index}")] {
        subscriptions.push(
            client
                .subscribe(subject)
                .await
                .map_err(|e| format!("raw storm session {index}: subscribe: {e}"))?,
        );
    }
    remote_message_cli::connection::round_trip(&client)
        .await
        .map_err(|e| format!("raw storm session {index}: round trip: {e}"))?;
    let watcher = client.clone();
    let task = tokio::spawn(async move {
        let _held = subscriptions;
        let mut was_down = false;
        while let Some(event) = events.recv().await {
            match event {
                Event::Disconnected => was_down = true,
                Event::Connected if was_down => {
                    was_down = false;
                    if confirm_subscriptions(&watcher).await {
                        back.came_back();
                    }
                }
                _ => {}
            }
        }
    });
    Ok((client, task.abort_handle()))
}

/// A connection whose events (disconnected, connected again) come out of
/// the returned channel. It stops reconnecting after [`RECONNECTS`]
/// attempts: a connection left behind by a failed storm must not keep
/// taking descriptors from the figures after it once its server is gone.
async fn connect_watched(
    url: &str,
    name: String,
) -> Result<(async_nats::Client, mpsc::UnboundedReceiver<Event>), async_nats::ConnectError> {
    let (events_tx, events) = mpsc::unbounded_channel();
    let client = ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(30))
        .max_reconnects(RECONNECTS)
        .event_callback(move |event| {
            let events_tx = events_tx.clone();
            async move {
                let _ = events_tx.send(event);
            }
        })
        .connect(url)
        .await?;
    Ok((client, events))
}
