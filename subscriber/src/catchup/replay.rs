//! A replay: what the stream stored on this agent's two subjects since a
//! given time, in stream order (catch-up's one contact with the server).
//!
//! One ephemeral pull consumer per subject (nats-server 2.9 has no
//! multi-filter consumers), merged by stream sequence; each consumer starts
//! at a time and fetches exactly the messages pending when it was created.
//! At most [`MOST_PER_SUBJECT`] messages per subject are kept, the newest:
//! memory stays bounded whatever was stored (a flood of junk on
//! `broadcast`), and more could not be told apart from what was shown
//! anyway (the agent remembers that many ids).

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::{self, Context};
use futures::future::BoxFuture;
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::stream::{self, StreamError, StreamErrorKind};
use remote_message::Target;
use std::time::Duration;

/// Longest one replay may go without progress (a batch, an API answer)
/// before it is abandoned and tried again (e.g. while a cluster elects a new
/// leader). A limit on progress, not on the whole: a long backlog (a flood
/// of junk on `broadcast`) is fetched to the end, never retried forever.
const STALL_LIMIT: Duration = Duration::from_secs(5);

/// Messages asked for per fetch (under the client's per-subscription buffer).
const BATCH: usize = 1000;

/// Longest one JetStream API request of a replay may wait.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Most messages one replay keeps per subject.
pub const MOST_PER_SUBJECT: usize = crate::state::RECENT_CAPACITY;

/// A message replayed from the stream.
#[derive(Debug)]
pub struct Stored {
    pub sequence: u64,
    pub stored_at: Timestamp,
    pub message: async_nats::Message,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The server runs without JetStream: there is nothing to replay.
    #[error("this NATS server has no JetStream")]
    NoJetStream,
    #[error("no stream answer within {0:?}")]
    NoStreamAnswer(Duration),
    #[error("catch-up made no progress for {0:?}")]
    Stalled(Duration),
    #[error("{0}")]
    Stream(#[source] StreamError),
    /// A JetStream request (consumer, fetch, message metadata) failed.
    #[error("{0}")]
    Request(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StreamError> for ReplayError {
    fn from(e: StreamError) -> ReplayError {
        match e.kind() {
            StreamErrorKind::NoJetStream => ReplayError::NoJetStream,
            _ => ReplayError::Stream(e),
        }
    }
}

fn request(e: impl std::error::Error + Send + Sync + 'static) -> ReplayError {
    ReplayError::Request(Box::new(e))
}

/// Starts replays of this agent's subjects: what the catch-up driver runs.
#[derive(Clone)]
pub struct StreamReplays {
    js: Context,
    subjects: [String; 2],
}

impl StreamReplays {
    /// Replays of `broadcast` and `session.<session>` through `client`.
    pub fn new(client: async_nats::Client, session: &remote_message::SessionId) -> StreamReplays {
        let mut js = jetstream::new(client);
        js.set_timeout(REQUEST_TIMEOUT);
        StreamReplays {
            js,
            subjects: [
                Target::Broadcast.subject(),
                Target::Session(session.clone()).subject(),
            ],
        }
    }
}

impl super::driver::ReplaySource for StreamReplays {
    fn replay(&self, from: Timestamp) -> BoxFuture<'static, Result<Vec<Stored>, ReplayError>> {
        let this = self.clone();
        Box::pin(async move { since(&this.js, &this.subjects, from).await })
    }
}

/// `step`, or an error once it made no progress for [`STALL_LIMIT`].
async fn progress<T, E: std::error::Error + Send + Sync + 'static>(
    step: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ReplayError> {
    match tokio::time::timeout(STALL_LIMIT, step).await {
        Ok(done) => done.map_err(request),
        Err(_) => Err(ReplayError::Stalled(STALL_LIMIT)),
    }
}

/// Everything stored on `subjects` from `start` on, oldest first.
pub async fn since(
    js: &Context,
    subjects: &[String],
    start: Timestamp,
) -> Result<Vec<Stored>, ReplayError> {
    let found = tokio::time::timeout(STALL_LIMIT, stream::get(js))
        .await
        .map_err(|_| ReplayError::NoStreamAnswer(STALL_LIMIT))?;
    let Some(stream) = found? else {
        return Ok(Vec::new()); // never created: nothing was ever stored
    };
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(start.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut all = Vec::new();
    for subject in subjects {
        let mut kept = std::collections::VecDeque::new();
        let mut skipped = 0u64;
        let mut consumer = progress(stream.create_consumer(pull::Config {
            filter_subject: subject.clone(),
            deliver_policy: DeliverPolicy::ByStartTime { start_time },
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            // One replica in memory: placed on a live node at once, even
            // while a node of the stream's cluster is down.
            num_replicas: 1,
            memory_storage: true,
            ..Default::default()
        }))
        .await?;
        let mut pending = progress(consumer.info()).await?.num_pending;
        while pending > 0 {
            let mut batch = progress(
                consumer
                    .fetch()
                    .max_messages(pending.min(BATCH as u64) as usize)
                    .expires(Duration::from_secs(2))
                    .messages(),
            )
            .await?;
            let mut got = 0;
            while let Some(message) =
                progress(async { Ok::<_, std::convert::Infallible>(batch.next().await) }).await?
            {
                let message = message.map_err(ReplayError::Request)?;
                let info = message.info().map_err(ReplayError::Request)?;
                let stored_at = Timestamp::from_nanosecond(info.published.unix_timestamp_nanos())
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                let sequence = info.stream_sequence;
                if kept.len() == MOST_PER_SUBJECT {
                    kept.pop_front();
                    skipped += 1;
                }
                kept.push_back(Stored {
                    sequence,
                    stored_at,
                    message: message.message,
                });
                got += 1;
            }
            if got == 0 {
                break; // the rest aged out meanwhile
            }
            pending = pending.saturating_sub(got);
        }
        let name = consumer.cached_info().name.clone();
        let _ = stream.delete_consumer(&name).await;
        if skipped > 0 {
            tracing::warn!(
                event = "replay_truncated",
                skipped,
                subject = %subject,
                "catch-up: {skipped} older message(s) on {subject} skipped; only the newest \
                 {MOST_PER_SUBJECT} are replayed"
            );
        }
        all.extend(kept);
    }
    all.sort_by_key(|s| s.sequence);
    Ok(all)
}
