//! A replay: what the stream stored on this agent's two subjects since a
//! given time, in stream order (catch-up's one contact with the server).
//!
//! One pull consumer per subject (nats-server 2.9 has no multi-filter
//! consumers), merged by stream sequence; each consumer starts at a time and
//! fetches exactly the messages pending when it was created. The consumers
//! have fixed names and are created only through the filtered API subject
//! `$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.<name>.<filter>` (never durable,
//! ack none), which is all a broker enforcing per-session identity lets an
//! agent do: the session consumer is named `<id>`, the broadcast one after
//! the agent's user key (`U…`) when it has credentials, else `<id>-b`. A name
//! still in use (left by an earlier connection) is deleted and created again;
//! both are deleted when the replay ends. The agent never asks for stream
//! information or consumer lists.
//! At most [`MOST_PER_SUBJECT`] messages per subject are kept, the newest:
//! memory stays bounded whatever was stored (a flood of junk on
//! `broadcast`), and more could not be told apart from what was shown
//! anyway (the agent remembers that many ids).

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer};
use async_nats::jetstream::context::{
    RequestError as JsRequestError, RequestErrorKind as JsRequestErrorKind,
};
use async_nats::jetstream::stream::{ConsumerError, ConsumerErrorKind};
use async_nats::jetstream::Context;
use async_nats::jetstream::ErrorCode;
use async_nats::{RequestError, RequestErrorKind};
use futures::future::BoxFuture;
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::stream::{self, StreamError, StreamErrorKind, STREAM_NAME};
use remote_message::{SessionId, Target};
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
    /// The consumer could not be created, even after deleting its name.
    #[error("the catch-up consumer {0} could not be created")]
    ConsumerRefused(String),
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

/// One subject replayed, and the name of the consumer that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub consumer: String,
    pub subject: String,
}

/// The two feeds of session `session`: `broadcast` through the consumer
/// `broadcast_consumer` (the agent's user key `U…` with credentials; `None`:
/// `<id>-b`), and `session.<id>` through the consumer `<id>`.
pub fn feeds(session: &SessionId, broadcast_consumer: Option<&str>) -> [Feed; 2] {
    [
        Feed {
            consumer: remote_message::roles::broadcast_consumer(session, broadcast_consumer),
            subject: Target::Broadcast.subject(),
        },
        Feed {
            consumer: remote_message::roles::session_consumer(session),
            subject: Target::Session(session.clone()).subject(),
        },
    ]
}

/// Starts a replay of what the stream stored from a time on: what the
/// catch-up driver runs (the stream's, [`StreamReplays`], or a test's fake).
pub trait ReplaySource {
    fn replay(&self, from: Timestamp) -> BoxFuture<'static, Result<Vec<Stored>, ReplayError>>;
}

/// Starts replays of this agent's subjects: what the catch-up driver runs.
#[derive(Clone)]
pub struct StreamReplays {
    js: Context,
    feeds: [Feed; 2],
}

impl StreamReplays {
    /// Replays of `broadcast` and `session.<session>` through `js` (the
    /// JetStream API in the configured domain, see
    /// `ConnectionArgs::jetstream`; [`feeds`] names the consumers).
    pub fn new(
        mut js: Context,
        session: &SessionId,
        broadcast_consumer: Option<&str>,
    ) -> StreamReplays {
        js.set_timeout(REQUEST_TIMEOUT);
        StreamReplays {
            js,
            feeds: feeds(session, broadcast_consumer),
        }
    }
}

impl ReplaySource for StreamReplays {
    fn replay(&self, from: Timestamp) -> BoxFuture<'static, Result<Vec<Stored>, ReplayError>> {
        let this = self.clone();
        Box::pin(async move { since(&this.js, &this.feeds, from).await })
    }
}

/// Whether a consumer request got "no responders": nobody answers the
/// JetStream API, so the server runs without it.
fn no_responders(e: &ConsumerError) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(request) = inner.downcast_ref::<JsRequestError>() {
            return request.kind() == JsRequestErrorKind::NoResponders;
        }
        if let Some(request) = inner.downcast_ref::<RequestError>() {
            return request.kind() == RequestErrorKind::NoResponders;
        }
        source = inner.source();
    }
    false
}

/// What a failed consumer creation means.
enum CreateFailure {
    /// The stream does not exist: nothing was ever stored.
    NoStream,
    /// The name is taken (left from an earlier connection), or refused for
    /// another JetStream reason a fresh start may cure.
    Taken,
    Other(ReplayError),
}

fn classify(e: ConsumerError) -> CreateFailure {
    match e.kind() {
        ConsumerErrorKind::JetStream(api) if api.error_code() == ErrorCode::STREAM_NOT_FOUND => {
            CreateFailure::NoStream
        }
        ConsumerErrorKind::JetStream(api) if api.code() == 503 => {
            CreateFailure::Other(ReplayError::NoJetStream)
        }
        // A name still held by a consumer on a node that is gone answers no
        // more: deleting it (the meta leader answers) frees the name.
        ConsumerErrorKind::JetStream(_) | ConsumerErrorKind::TimedOut => CreateFailure::Taken,
        ConsumerErrorKind::Request if no_responders(&e) => {
            CreateFailure::Other(ReplayError::NoJetStream)
        }
        _ => CreateFailure::Other(request(e)),
    }
}

/// Creates `feed`'s consumer from `start_time` on; when its name is in use,
/// deletes it and creates it again (once). `None`: the stream does not exist.
async fn open(
    js: &Context,
    feed: &Feed,
    start_time: time::OffsetDateTime,
) -> Result<Option<PullConsumer>, ReplayError> {
    let config = pull::Config {
        name: Some(feed.consumer.clone()),
        filter_subject: feed.subject.clone(),
        deliver_policy: DeliverPolicy::ByStartTime { start_time },
        ack_policy: AckPolicy::None,
        inactive_threshold: Duration::from_secs(60),
        // One replica in memory: placed on a live node at once, even
        // while a node of the stream's cluster is down.
        num_replicas: 1,
        memory_storage: true,
        ..Default::default()
    };
    let create = || async {
        tokio::time::timeout(
            STALL_LIMIT,
            js.create_consumer_on_stream(config.clone(), STREAM_NAME),
        )
        .await
        .map_err(|_| ReplayError::Stalled(STALL_LIMIT))
    };
    let unanswered = |created: &Result<Result<PullConsumer, ConsumerError>, ReplayError>| {
        matches!(created, Err(ReplayError::Stalled(_)))
            || matches!(created, Ok(Err(e)) if e.kind() == ConsumerErrorKind::TimedOut)
    };
    let client = js.client();
    let Some(created) = stream::jetstream_answer(&client, create(), unanswered).await else {
        return Err(ReplayError::NoJetStream);
    };
    match created {
        Ok(Ok(consumer)) => return Ok(Some(consumer)),
        Err(_stalled) => {
            tracing::debug!(
                "catch-up consumer {}: no answer; deleting it and creating it again",
                feed.consumer
            );
        }
        Ok(Err(e)) => {
            let why = e.to_string();
            match classify(e) {
                CreateFailure::NoStream => return Ok(None),
                CreateFailure::Other(e) => return Err(e),
                CreateFailure::Taken => {
                    tracing::debug!(
                        "catch-up consumer {} in use or refused ({why}): deleting it and \
                         creating it again",
                        feed.consumer
                    );
                }
            }
        }
    }
    let _ = progress(js.delete_consumer_from_stream(&feed.consumer, STREAM_NAME)).await;
    match create().await? {
        Ok(consumer) => Ok(Some(consumer)),
        Err(e) => match classify(e) {
            CreateFailure::NoStream => Ok(None),
            CreateFailure::Other(e) => Err(e),
            CreateFailure::Taken => Err(ReplayError::ConsumerRefused(feed.consumer.clone())),
        },
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

/// Everything stored on the `feeds`' subjects from `start` on, oldest first.
pub async fn since(
    js: &Context,
    feeds: &[Feed],
    start: Timestamp,
) -> Result<Vec<Stored>, ReplayError> {
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(start.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut all = Vec::new();
    for feed in feeds {
        let subject = &feed.subject;
        let Some(mut consumer) = open(js, feed, start_time).await? else {
            return Ok(Vec::new()); // never created: nothing was ever stored
        };
        let result = drain(&mut consumer, subject).await;
        // Deleted whatever happened: the name is free for the next replay.
        let _ = progress(js.delete_consumer_from_stream(&feed.consumer, STREAM_NAME)).await;
        all.extend(result?);
    }
    all.sort_by_key(|s| s.sequence);
    Ok(all)
}

/// Fetches what `consumer` had pending when created, keeping the newest
/// [`MOST_PER_SUBJECT`].
async fn drain(consumer: &mut PullConsumer, subject: &str) -> Result<Vec<Stored>, ReplayError> {
    let mut kept = std::collections::VecDeque::new();
    let mut skipped = 0u64;
    let mut pending = consumer.cached_info().num_pending;
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
    if skipped > 0 {
        tracing::warn!(
            event = remote_message::Event::ReplayTruncated.name(),
            skipped,
            subject = %subject,
            "catch-up: {skipped} older message(s) on {subject} skipped; only the newest \
             {MOST_PER_SUBJECT} are replayed"
        );
    }
    Ok(kept.into())
}
