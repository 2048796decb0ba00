//! The simulated user sessions.
//!
//! Each session is its own NATS connection running the project's real agent
//! core, [`subscriber::agent::Agent`] (subscriptions on `broadcast` and
//! `session.<id>`, the entry in the session list, decoding, receipts), and,
//! on the same connection, the raw baseline: plain async-nats subscriptions
//! on `raw.broadcast`, `raw.session.<id>` and `raw.ping`. Raw and ours thus
//! share sockets, runtime and server in the same run; only the code on top
//! differs, which is what the ratios are about.
//!
//! A handler stamps each message it handles with [`now_ns`]; the scenarios
//! read those stamps through [`Shared`].

use crate::stats::now_ns;
use async_nats::{Client, ConnectOptions, Subscriber};
use bytes::Bytes;
use futures::stream::SelectAll;
use futures::StreamExt;
use remote_message::sessions::{Receipt, SessionInfo, ShownVia};
use remote_message::{SendId, SessionId, Target, UserName};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subscriber::agent::Agent;
use subscriber::answers::Answers;
use subscriber::delivery::{Delivery, Displayed, Show};
use subscriber::identity;
use tokio::sync::Notify;

/// Raw baseline of `broadcast`.
pub const RAW_BROADCAST: &str = "raw.broadcast";
/// Raw baseline of the session-list ping.
pub const RAW_PING: &str = "raw.ping";

/// Raw baseline of `session.<id>`.
pub fn raw_session_subject(id: &SessionId) -> String {
    format!("raw.session.{id}")
}

/// Sessions connecting at once while the fleet grows.
const CONNECT_PARALLEL: usize = 200;

/// Messages a session may have queued before the client drops some
/// (async-nats' default); the throughput scenario keeps fewer in flight.
pub const SUBSCRIPTION_CAPACITY: usize = 64 * 1024;

/// Throughput handlers wake the publisher every this many messages.
const PROGRESS_EVERY: u64 = 256;

/// What a bench text asks the handlers to record; it leads the text.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A timed fan-out round: stamp it in the [`Probe`].
    Fanout(u64),
    /// A throughput message: count it.
    Throughput,
    /// Anything else (receipts are the point): record nothing.
    Other,
}

/// A text of exactly `size` bytes that starts with what `kind` records.
pub fn text(kind: Kind, size: usize) -> String {
    let mut text = match kind {
        Kind::Fanout(round) => format!("bench|f|{round}|"),
        Kind::Throughput => "bench|t|".to_owned(),
        Kind::Other => "bench|o|".to_owned(),
    };
    let pad = size.saturating_sub(text.len());
    text.extend(std::iter::repeat_n('x', pad));
    text
}

/// Stamps of one timed fan-out round, one slot per session.
pub struct Probe {
    round: AtomicU64,
    expected: AtomicUsize,
    done: AtomicUsize,
    times: Vec<AtomicU64>,
    complete: Notify,
}

impl Probe {
    fn new(capacity: usize) -> Probe {
        Probe {
            round: AtomicU64::new(0),
            expected: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            times: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            complete: Notify::new(),
        }
    }

    /// Starts recording `round` (never 0) for the first `expected` sessions.
    pub fn arm(&self, round: u64, expected: usize) {
        self.done.store(0, Ordering::SeqCst);
        self.expected.store(expected, Ordering::SeqCst);
        self.round.store(round, Ordering::SeqCst);
    }

    fn hit(&self, round: u64, session: usize, at: u64) {
        if self.round.load(Ordering::SeqCst) != round {
            return;
        }
        self.times[session].store(at, Ordering::Relaxed);
        if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.expected.load(Ordering::SeqCst) {
            self.complete.notify_one();
        }
    }

    /// Waits until every expected session handled the round; on timeout,
    /// how many did.
    pub async fn wait(&self, limit: Duration) -> Result<(), usize> {
        let all = async {
            while self.done.load(Ordering::SeqCst) < self.expected.load(Ordering::SeqCst) {
                self.complete.notified().await;
            }
        };
        let outcome = tokio::time::timeout(limit, all).await;
        let done = self.done.load(Ordering::SeqCst);
        self.round.store(0, Ordering::SeqCst);
        outcome.map_err(|_| done)
    }

    /// Sessions among the first `n` that did not handle the last round.
    pub fn missing(&self, n: usize, since: u64) -> Vec<usize> {
        (0..n)
            .filter(|&i| self.times[i].load(Ordering::Relaxed) < since)
            .collect()
    }

    /// The stamps of the first `n` sessions.
    pub fn times(&self, n: usize) -> Vec<u64> {
        self.times[..n]
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .collect()
    }
}

/// What the handlers record into, shared by every session.
pub struct Shared {
    pub probe: Probe,
    /// Throughput messages handled, per session.
    counts: Vec<AtomicU64>,
    /// Woken as throughput counts grow.
    pub progress: Notify,
    /// The raw answer to `raw.ping`: as long as an agent's ping answer.
    ping_answer: Bytes,
    /// The raw answer to a request: as long as an agent's receipt.
    ack: Bytes,
}

impl Shared {
    fn handled(&self, session: usize, text: &[u8], at: u64) {
        let Some(rest) = text.strip_prefix(b"bench|") else {
            return;
        };
        match rest.split_first() {
            Some((b'f', rest)) => {
                if let Some(round) = parse_round(rest) {
                    self.probe.hit(round, session, at);
                }
            }
            Some((b't', _)) => self.count(session),
            _ => {}
        }
    }

    /// Counts a throughput message.
    #[inline]
    fn count(&self, session: usize) {
        let n = self.counts[session].fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(PROGRESS_EVERY) {
            self.progress.notify_one();
        }
    }

    /// Sets the throughput counts of the first `n` sessions to 0.
    pub fn reset_counts(&self, n: usize) {
        for c in &self.counts[..n] {
            c.store(0, Ordering::SeqCst);
        }
    }

    /// The lowest throughput count among the first `n` sessions.
    pub fn min_count(&self, n: usize) -> u64 {
        self.counts[..n]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    }
}

fn parse_round(rest: &[u8]) -> Option<u64> {
    let rest = rest.strip_prefix(b"|")?;
    let end = rest.iter().position(|&b| b == b'|')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// One connected session.
pub struct Session {
    /// What it advertises in the session list.
    pub info: SessionInfo,
    /// Kept so the connection lives as long as the fleet.
    client: Client,
}

impl Session {
    /// Connection state and message counters, for failure reports.
    pub fn describe(&self) -> String {
        let stats = self.client.statistics();
        format!(
            "{} ({:?}, {} messages in, {} out, {} connects)",
            self.info.id,
            self.client.connection_state(),
            stats.in_messages.load(Ordering::Relaxed),
            stats.out_messages.load(Ordering::Relaxed),
            stats.connects.load(Ordering::Relaxed),
        )
    }
}

/// Every session connected so far.
pub struct Fleet {
    port: u16,
    /// The number of the first session (ids `bench-<first + index>`).
    first: usize,
    template: SessionInfo,
    pub shared: Arc<Shared>,
    pub sessions: Vec<Session>,
}

impl Fleet {
    /// An empty fleet that can grow to `capacity` sessions on the server
    /// at `port` (each at [`crate::server::connect_url`]).
    pub fn new(port: u16, capacity: usize) -> Fleet {
        Fleet::numbered_from(port, capacity, 0)
    }

    /// [`Fleet::new`] whose sessions are numbered from `first` on (one of
    /// several fleets, each in its own process).
    pub fn numbered_from(port: u16, capacity: usize, first: usize) -> Fleet {
        // Built once with the agent's own function; each session gets its id.
        let template = identity::session_info(session_id(0), UserName::parse("bench").ok(), []);
        let ping_len = template.entry_payload().len();
        // As the agent sends it for a message its recorder showed.
        let shown = recorded();
        let receipt =
            Receipt::delivered(
                &SendId::random().message_id(&Target::Session(session_id(0))),
                &template.id,
            )
                .with_read_ack(shown.read_ack)
                .with_shown(shown.via);
        let ack_len = serde_json::to_vec(&receipt).expect("serializes").len();
        let shared = Shared {
            probe: Probe::new(capacity),
            counts: (0..capacity).map(|_| AtomicU64::new(0)).collect(),
            progress: Notify::new(),
            ping_answer: Bytes::from(vec![b'p'; ping_len]),
            ack: Bytes::from(vec![b'a'; ack_len]),
        };
        Fleet {
            port,
            first,
            template,
            shared: Arc::new(shared),
            sessions: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Connects sessions, in parallel batches, until there are `n`.
    pub async fn grow_to(&mut self, n: usize) -> Result<Duration, String> {
        let start = Instant::now();
        let from = self.sessions.len();
        let connects = futures::stream::iter(from..n)
            .map(|index| {
                let number = self.first + index;
                let info = SessionInfo {
                    id: session_id(number),
                    user: UserName::parse(&format!("user{:04}", number % 1000)).ok(),
                    ..self.template.clone()
                };
                let url = crate::server::connect_url(self.port, index);
                tokio::spawn(connect(url, info, index, self.shared.clone()))
            })
            .buffered(CONNECT_PARALLEL)
            .collect::<Vec<_>>()
            .await;
        for joined in connects {
            let session = joined.map_err(|e| format!("session task failed: {e}"))??;
            self.sessions.push(session);
        }
        Ok(start.elapsed())
    }
}

/// `bench-00042`.
pub fn session_id(index: usize) -> SessionId {
    SessionId::parse(&format!("bench-{index:05}")).expect("a valid session id")
}

async fn connect(
    url: String,
    info: SessionInfo,
    index: usize,
    shared: Arc<Shared>,
) -> Result<Session, String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("session {index}: {what}: {e}");
    // Buffers and capacities as the real agent has them (async-nats defaults).
    let client = ConnectOptions::new()
        .name(format!("bench {}", info.id))
        .connection_timeout(Duration::from_secs(30))
        .connect(url.as_str())
        .await
        .map_err(|e| failed("connect", &e))?;
    let (agent, answers) = start_agent(&client, &info)
        .await
        .map_err(|e| failed("agent start", &e))?;
    let mut raw = SelectAll::<Subscriber>::new();
    for subject in [
        RAW_BROADCAST.to_owned(),
        raw_session_subject(&info.id),
        RAW_PING.to_owned(),
    ] {
        raw.push(
            client
                .subscribe(subject)
                .await
                .map_err(|e| failed("subscribe", &e))?,
        );
    }
    remote_message_cli::connection::round_trip(&client)
        .await
        .map_err(|e| failed("round trip", &e))?;
    tokio::spawn(run_agent(agent, index, shared.clone()));
    tokio::spawn(answers.run());
    tokio::spawn(run_raw(client.clone(), raw, index, shared));
    Ok(Session { info, client })
}

/// The agent core and its answers task on `client`, as the `subscriber`
/// runner starts them.
pub async fn start_agent(
    client: &Client,
    info: &SessionInfo,
) -> Result<(Agent, Answers), async_nats::Error> {
    let agent = Agent::start(client.clone(), info).await?;
    let answers = Answers::subscribe(client.clone(), info).await?;
    Ok((agent, answers))
}

/// Ours: the agent core's loop, as the `subscriber` runner drives it, with
/// the screen replaced by a timestamp.
async fn run_agent(mut agent: Agent, index: usize, shared: Arc<Shared>) {
    let mut stamp = Recorded(|delivery: &Delivery| {
        shared.handled(index, delivery.message.text.as_bytes(), now_ns());
    });
    loop {
        let due = agent.next_due();
        tokio::select! {
            delivery = agent.next() => {
                let Some(delivery) = delivery else { break };
                let _ = agent.show(&mut stamp, delivery).await;
            }
            // The `delivered` rows, 1 s plus the session's share of another after showing.
            () = subscriber::clock::sleep_until(due) => {
                let _ = agent.on_due(&mut stamp).await;
            }
        }
    }
}

/// The agent's screen replaced by `record`: each message is shown through
/// [`Agent::show`], as the `subscriber` runner shows it (recorded as shown,
/// then confirmed), and its receipt says `json`, the cheapest real output.
pub struct Recorded<F>(pub F);

impl<F: FnMut(&Delivery)> Show for Recorded<F> {
    async fn show(&mut self, delivery: &Delivery) -> std::io::Result<Displayed> {
        (self.0)(delivery);
        Ok(recorded())
    }
}

/// How a [`Recorded`] message counts as shown, for its receipt.
fn recorded() -> Displayed {
    Displayed {
        via: vec![ShownVia::Json],
        read_ack: false,
    }
}

/// Raw: plain subscriptions; answers requests and pings with payloads of
/// the same size as ours.
async fn run_raw(
    client: Client,
    mut subscriptions: SelectAll<Subscriber>,
    index: usize,
    shared: Arc<Shared>,
) {
    while let Some(message) = subscriptions.next().await {
        let at = now_ns();
        if message.subject.as_str() == RAW_PING {
            if let Some(reply) = message.reply {
                let _ = client.publish(reply, shared.ping_answer.clone()).await;
            }
            continue;
        }
        // Raw messages with headers carry our envelope's bytes, to measure
        // their transport: find the bench text inside, decode nothing.
        let payload = &message.payload[..];
        let text = match message.headers {
            Some(_) => {
                memchr::memmem::find(payload, b"bench|").map_or(&[][..], |at| &payload[at..])
            }
            None => payload,
        };
        shared.handled(index, text, at);
        if let Some(reply) = message.reply {
            let _ = client.publish(reply, shared.ack.clone()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_have_the_size_asked_and_carry_their_round() {
        let t = text(Kind::Fanout(42), 256);
        assert_eq!(t.len(), 256);
        assert_eq!(
            parse_round(t.strip_prefix("bench|f").unwrap().as_bytes()),
            Some(42)
        );
        assert_eq!(text(Kind::Throughput, 4096).len(), 4096);
    }
}
