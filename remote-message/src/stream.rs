//! The durable log: one JetStream stream that also stores every message, so
//! an agent that was offline (asleep, restarting, cut off) can catch up on
//! what it missed. Live delivery stays on the plain subjects; the stream
//! only keeps a copy.

use crate::error::{Error, ErrorKind};
use crate::subject::{BROADCAST, SESSION_PREFIX};
use async_nats::jetstream::context::{
    CreateStreamError, CreateStreamErrorKind, GetStreamErrorKind, RequestError, RequestErrorKind,
};
use async_nats::jetstream::stream::{Config, DiscardPolicy, StorageType, Stream};
use async_nats::jetstream::Context;
use std::time::Duration;

/// Name of the stream.
pub const STREAM_NAME: &str = "REMOTE_MESSAGES";

/// How long messages are kept when `--retention` is not given.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Size bound of the stream when `--max-bytes` is not given: 1 GiB.
pub const DEFAULT_MAX_BYTES: i64 = 1 << 30;

/// Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// The stream's settings that ops choose with `publisher setup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSettings {
    pub retention: Duration,
    pub replicas: usize,
    pub max_bytes: i64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            retention: DEFAULT_RETENTION,
            replicas: 1,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl StreamSettings {
    /// The full stream configuration.
    pub fn config(&self) -> Config {
        Config {
            name: STREAM_NAME.to_owned(),
            description: Some("remote-message: every message, for agents catching up".into()),
            subjects: vec![BROADCAST.to_owned(), format!("{SESSION_PREFIX}*")],
            max_age: self.retention,
            max_bytes: self.max_bytes,
            num_replicas: self.replicas,
            storage: StorageType::File,
            discard: DiscardPolicy::Old,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        }
    }
}

/// What went wrong with the stream: the agent falls back to live only on
/// [`StreamErrorKind::NoJetStream`], and retries the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamErrorKind {
    /// The server runs without JetStream: messages are live only.
    NoJetStream,
    /// The JetStream API failed or refused a request (the source says how).
    Request,
    /// No answer in time; it may pass (e.g. during a leader election).
    Timeout,
    /// A read-back made no progress for too long.
    Stalled,
}

impl ErrorKind for StreamErrorKind {
    fn describe(self) -> &'static str {
        match self {
            StreamErrorKind::NoJetStream => "this NATS server has no JetStream",
            StreamErrorKind::Request => "",
            StreamErrorKind::Timeout => "no answer from JetStream in time",
            StreamErrorKind::Stalled => "reading the stream made no progress",
        }
    }
}

/// Why the stream is not there, or cannot be read.
pub type StreamError = Error<StreamErrorKind>;

/// How long a JetStream request may go unanswered when the server this
/// client is connected to says it runs without JetStream (see
/// [`jetstream_answer`]): long enough for a request forwarded to JetStream
/// elsewhere (a cluster, a leafnode's hub) to come back.
pub const NO_JETSTREAM_PATIENCE: Duration = Duration::from_secs(2);

/// The answer to `request`, a JetStream API call, or `None` when it went
/// unanswered (for [`NO_JETSTREAM_PATIENCE`], or until `timed_out` says its
/// own time-out struck) while `client`'s server says it has no JetStream:
/// then there is none. A single server without JetStream refuses such a
/// request at once ("no responders"), but a cluster without it never
/// answers, and the caller would wait for its full timeout on every send
/// and every catch-up. A server without JetStream of its own whose cluster
/// has it forwards the request, and the answer comes in time.
pub async fn jetstream_answer<A>(
    client: &async_nats::Client,
    request: impl std::future::Future<Output = A>,
    timed_out: impl Fn(&A) -> bool,
) -> Option<A> {
    if client.server_info().jetstream {
        return Some(request.await);
    }
    tokio::time::timeout(NO_JETSTREAM_PATIENCE, request)
        .await
        .ok()
        .filter(|answer| !timed_out(answer))
}

/// Whether `err` is a request that got no answer in time.
pub fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    request_failed(err, RequestErrorKind::TimedOut)
}

/// The stream, or `None` when it was never created.
pub async fn get(js: &Context) -> Result<Option<Stream>, StreamError> {
    get_named(js, STREAM_NAME).await
}

/// The stream called `name` (this one, or the ledger's), or `None` when it
/// was never created.
pub async fn get_named(js: &Context, name: &str) -> Result<Option<Stream>, StreamError> {
    let lookup = js.get_stream(name);
    let unanswered = |answer: &Result<_, _>| matches!(answer, Err(e) if timed_out(e));
    let Some(answer) = jetstream_answer(&js.client(), lookup, unanswered).await else {
        return Err(StreamErrorKind::NoJetStream.into());
    };
    match answer {
        Ok(stream) => Ok(Some(stream)),
        Err(e) => match e.kind() {
            GetStreamErrorKind::JetStream(api) if api.code() == 404 => Ok(None),
            GetStreamErrorKind::JetStream(api) if api.code() == 503 => {
                Err(StreamErrorKind::NoJetStream.into())
            }
            // Nobody answers the JetStream API: the server runs without it. A
            // timeout is not that: it may pass (e.g. during a leader election).
            GetStreamErrorKind::Request if no_responders(&e) => {
                Err(StreamErrorKind::NoJetStream.into())
            }
            _ => Err(StreamError::with_source(StreamErrorKind::Request, e)),
        },
    }
}

/// The stream, created with default settings if it does not exist yet.
pub async fn get_or_create(js: &Context) -> Result<Stream, StreamError> {
    get_or_create_with(js, StreamSettings::default().config()).await
}

/// The stream `config` names, created with `config` if it does not exist yet.
pub async fn get_or_create_with(js: &Context, config: Config) -> Result<Stream, StreamError> {
    match get_named(js, &config.name).await? {
        Some(stream) => Ok(stream),
        None => js.create_stream(config).await.map_err(classify_create),
    }
}

fn no_responders(err: &(dyn std::error::Error + 'static)) -> bool {
    request_failed(err, RequestErrorKind::NoResponders)
}

/// Whether the request under `err` (in its sources) failed as `kind`.
fn request_failed(err: &(dyn std::error::Error + 'static), kind: RequestErrorKind) -> bool {
    let mut source = err.source();
    while let Some(e) = source {
        if let Some(request) = e.downcast_ref::<RequestError>() {
            return request.kind() == kind;
        }
        source = e.source();
    }
    false
}

/// Creates the stream, or updates it to `settings`; idempotent.
pub async fn create_or_update(js: &Context, settings: &StreamSettings) -> Result<(), StreamError> {
    create_or_update_with(js, settings.config()).await
}

/// Creates the stream `config` names, or updates it to `config`; idempotent.
pub async fn create_or_update_with(js: &Context, config: Config) -> Result<(), StreamError> {
    js.create_or_update_stream(config)
        .await
        .map(|_| ())
        .map_err(classify_create)
}

fn classify_create(err: CreateStreamError) -> StreamError {
    match err.kind() {
        CreateStreamErrorKind::JetStreamUnavailable => StreamErrorKind::NoJetStream.into(),
        _ => StreamError::with_source(StreamErrorKind::Request, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stream `publisher setup` and `send` create keeps both subjects,
    /// a day of messages and at most 1 GiB, dropping the oldest first.
    #[test]
    fn stream_stores_both_subjects_bounded_by_age_and_size() {
        let config = StreamSettings::default().config();
        assert_eq!(config.subjects, ["broadcast", "session.*"]);
        assert_eq!(config.max_age, Duration::from_secs(86_400));
        assert_eq!(config.max_bytes, 1 << 30);
        assert_eq!(config.discard, DiscardPolicy::Old);
    }
}
