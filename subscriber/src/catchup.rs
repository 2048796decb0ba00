//! Catch-up: what was stored in the stream on this agent's two subjects
//! since a given time, in stream order.
//!
//! One ephemeral pull consumer per subject (nats-server 2.9 has no
//! multi-filter consumers), merged by stream sequence; each consumer starts
//! at a time and reads exactly the messages pending when it was created.

use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
use async_nats::jetstream::Context;
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::stream::{self, StreamError};
use std::time::Duration;

/// Longest one catch-up attempt may take before it is abandoned and tried
/// again (e.g. while a cluster elects a new leader).
const FETCH_LIMIT: Duration = Duration::from_secs(5);

/// Longest one JetStream API request of a catch-up may wait.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// A message read back from the stream.
pub struct Stored {
    pub sequence: u64,
    pub stored_at: Timestamp,
    pub message: async_nats::Message,
}

/// Everything stored on `subjects` from `start` on, oldest first.
pub async fn since(
    js: &Context,
    subjects: &[String],
    start: Timestamp,
) -> Result<Vec<Stored>, StreamError> {
    tokio::time::timeout(FETCH_LIMIT, read_all(js, subjects, start))
        .await
        .map_err(|_| StreamError::Other(format!("catch-up took longer than {FETCH_LIMIT:?}")))?
}

async fn read_all(
    js: &Context,
    subjects: &[String],
    start: Timestamp,
) -> Result<Vec<Stored>, StreamError> {
    let other = |e: &dyn std::fmt::Display| StreamError::Other(e.to_string());
    let Some(stream) = stream::get(js).await? else {
        return Ok(Vec::new()); // never created: nothing was ever stored
    };
    let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(start.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut all = Vec::new();
    for subject in subjects {
        let mut consumer = stream
            .create_consumer(pull::Config {
                filter_subject: subject.clone(),
                deliver_policy: DeliverPolicy::ByStartTime { start_time },
                ack_policy: AckPolicy::None,
                inactive_threshold: Duration::from_secs(60),
                // One replica in memory: placed on a live node at once, even
                // while a node of the stream's cluster is down.
                num_replicas: 1,
                memory_storage: true,
                ..Default::default()
            })
            .await
            .map_err(|e| other(&e))?;
        let mut pending = consumer.info().await.map_err(|e| other(&e))?.num_pending;
        while pending > 0 {
            let mut batch = consumer
                .fetch()
                .max_messages(pending.min(256) as usize)
                .expires(Duration::from_secs(2))
                .messages()
                .await
                .map_err(|e| other(&e))?;
            let mut got = 0;
            while let Some(message) = batch.next().await {
                let message = message.map_err(|e| other(&e))?;
                let info = message.info().map_err(|e| other(&e))?;
                let stored_at = Timestamp::from_nanosecond(info.published.unix_timestamp_nanos())
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                let sequence = info.stream_sequence;
                all.push(Stored {
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
    }
    all.sort_by_key(|s| s.sequence);
    Ok(all)
}
