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
//! Raw: the time until every session's connection is back (the raw
//! async-nats reconnect: ours and raw share each connection, as in the
//! fleet). Ours: the time until every session has shown every one of the
//! storm's messages. Each message must be shown exactly once per session;
//! a duplicate or a missing one is a failure. Also: the server's peak
//! memory after the restart and the JetStream API requests it answered
//! (the restarted server counts from zero).

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
use subscriber::agent::{self, Agent};
use subscriber::catchup::driver::Driver;
use subscriber::catchup::CatchUp;
use tokio::sync::{mpsc, Notify};

/// Broadcasts sent while the server is down.
pub const DURING: usize = 2;
/// Broadcasts sent as soon as it is back.
pub const AFTER: usize = 2;

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
    /// Server ready → the last session's connection is back (raw).
    pub raw_reconnected_s: f64,
    /// Server ready → the last session has shown every message (ours).
    pub ours_all_shown_s: f64,
    /// ours / raw.
    pub ratio: f64,
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
    /// Sessions whose connection came back after the storm.
    reconnected: AtomicUsize,
    last_reconnect_ns: AtomicU64,
    /// Set when the server is killed: reconnects before it do not count.
    armed: AtomicBool,
    changed: Notify,
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
        self.changed.notify_one();
    }

    fn reconnected(&self) {
        if !self.armed.load(Ordering::SeqCst) {
            return;
        }
        self.last_reconnect_ns.fetch_max(now_ns(), Ordering::SeqCst);
        self.reconnected.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }
}

/// The storm text of message `k`.
fn text(k: usize) -> String {
    let mut t = format!("bench|s|{k}|");
    t.extend(std::iter::repeat_n('x', super::TEXT_BYTES.saturating_sub(t.len())));
    t
}

pub async fn run(n: usize, sender: &str) -> Result<Storm, String> {
    let messages = DURING + AFTER;
    let mut server = Server::start(&format!("storm-{n}"))?;
    let url = server.url();
    let record = Arc::new(Record {
        messages,
        shown: (0..n * messages).map(|_| AtomicU8::new(0)).collect(),
        remaining: AtomicUsize::new(n * messages),
        duplicates: AtomicU64::new(0),
        last_shown_ns: AtomicU64::new(0),
        reconnected: AtomicUsize::new(0),
        last_reconnect_ns: AtomicU64::new(0),
        armed: AtomicBool::new(false),
        changed: Notify::new(),
    });
    let template = agent::session_info(session_id(0), Some("storm".into()), []);
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
    let mut clients = Vec::with_capacity(n);
    let mut failed = None;
    for j in joined {
        match j.map_err(|e| format!("storm session task: {e}")).and_then(|c| c) {
            Ok(client) => clients.push(client),
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    let outcome = match failed {
        Some(e) => Err(e),
        None => storm(&mut server, n, sender, &record).await,
    };
    // Closed here, so the other figures' sessions have the descriptors.
    let closing = futures::stream::iter(clients).for_each_concurrent(CONNECT_PARALLEL, |c| async move {
        let _ = c.drain().await;
    });
    let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;
    let storm = outcome?;
    let back = record.reconnected.load(Ordering::SeqCst);
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
    let outgoing = (0..messages)
        .map(|k| ours.broadcast_message(text(k), sender))
        .collect::<Result<Vec<_>, _>>()?;

    record.armed.store(true, Ordering::SeqCst);
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

    // Bounded: a storm that has not settled by then lost something.
    let limit = Duration::from_secs(30) + Duration::from_millis(2 * n as u64);
    let settled = async {
        while record.remaining.load(Ordering::SeqCst) > 0
            || record.reconnected.load(Ordering::SeqCst) < n
        {
            record.changed.notified().await;
        }
    };
    let _ = tokio::time::timeout(limit, settled).await;
    // Give duplicates a moment to show up before they are counted: any
    // follow-up replay a session started is done within it.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let sample = crate::procs::ProcSample::of(server.pid())?;
    let api = api_requests(ours.client()).await?;
    let secs = |at: u64| round2(at.saturating_sub(ready) as f64 / 1e9);
    let raw_s = secs(record.last_reconnect_ns.load(Ordering::SeqCst));
    let ours_s = secs(record.last_shown_ns.load(Ordering::SeqCst)).max(raw_s);
    let storm = Storm {
        sessions: n,
        messages,
        raw_reconnected_s: raw_s,
        ours_all_shown_s: ours_s,
        ratio: round2(ours_s / raw_s.max(0.01)),
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
) -> Result<async_nats::Client, String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("storm session {index}: {what}: {e}");
    let (events_tx, events) = mpsc::unbounded_channel();
    let client = ConnectOptions::new()
        .name(format!("storm {}", info.id))
        .connection_timeout(Duration::from_secs(30))
        .event_callback(move |event| {
            let events_tx = events_tx.clone();
            async move {
                let _ = events_tx.send(event);
            }
        })
        .connect(url.as_str())
        .await
        .map_err(|e| failed("connect", &e))?;
    let (agent, answers) = crate::fleet::start_agent(&client, &info)
        .await
        .map_err(|e| failed("agent start", &e))?;
    remote_message_cli::connection::round_trip(&client)
        .await
        .map_err(|e| failed("round trip", &e))?;
    tokio::spawn(answers.run());
    tokio::spawn(run_agent(client.clone(), agent, events, index, record));
    Ok(client)
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
        CatchUp::new(subscriber::catchup::DEFAULT_WINDOW, false),
        agent.replays(async_nats::jetstream::new),
    );
    let mut was_down = false;
    loop {
        agent.owe_catch_up_from(catch_up.owed_from());
        tokio::select! {
            delivery = agent.next(), if !catch_up.holds_live() => {
                let Some(delivery) = delivery else { break };
                agent.mark_shown(&delivery);
                record.shown(index, &delivery.message.text);
            }
            event = events.recv() => match event {
                Some(Event::Disconnected) => was_down = true,
                Some(Event::Connected) if was_down => {
                    was_down = false;
                    record.reconnected();
                    // Confirmed as the runner's link confirms them: retried
                    // (bounded) while the server is still starting.
                    for _ in 0..100 {
                        if remote_message_cli::connection::round_trip(&client).await.is_ok() {
                            catch_up.on_live(Timestamp::now(), agent.last_seen());
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                Some(_) => {}
                None => break,
            },
            replayed = catch_up.next() => {
                agent.owe_catch_up_from(catch_up.owed_from());
                for delivery in agent.take_replayed(replayed) {
                    agent.mark_shown(&delivery);
                    record.shown(index, &delivery.message.text);
                }
            }
        }
    }
}
