//! The ledger stream (`remote_message::ledger`) as the bench uses it: made
//! as `publisher setup` makes it by default, so that the figures run with
//! the agents' rows stored; taken away for the fan-out's "ledger off"
//! rounds; and counted, to tell how many JetStream writes a broadcast adds.

use async_nats::jetstream;
use async_nats::Client;
use remote_message::ledger::{self, LedgerSettings};
use std::time::{Duration, Instant};

/// Rows still coming in keep [`settle`] waiting; none for this long ends it:
/// longer than an agent holds its `delivered` row back, so one round's rows
/// are all in before the next round starts.
pub const QUIET: Duration = subscriber::agent::ROW_DELAY
    .saturating_add(subscriber::agent::ROW_SPREAD)
    .saturating_add(Duration::from_millis(500));

/// How often [`settle`] reads the count.
const POLL: Duration = Duration::from_millis(20);

/// Creates the ledger stream with `publisher setup`'s default settings
/// (idempotent).
pub async fn set_up(client: &Client) -> Result<(), String> {
    let js = jetstream::new(client.clone());
    ledger::create_or_update(&js, &LedgerSettings::default())
        .await
        .map_err(|e| format!("cannot create the ledger stream: {e}"))
}

/// Deletes the ledger stream, if there is one: a server where nobody set
/// it up (the first `publisher send` on a server creates it).
pub async fn take_down(client: &Client) -> Result<(), String> {
    let js = jetstream::new(client.clone());
    let exists = ledger::get(&js)
        .await
        .map_err(|e| format!("cannot read the ledger stream: {e}"))?;
    if exists.is_none() {
        return Ok(());
    }
    js.delete_stream(ledger::STREAM_NAME)
        .await
        .map(drop)
        .map_err(|e| format!("cannot delete the ledger stream: {e}"))
}

/// Messages the ledger stream holds now; 0 without it.
pub async fn stored(client: &Client) -> Result<u64, String> {
    let js = jetstream::new(client.clone());
    let stream = ledger::get(&js)
        .await
        .map_err(|e| format!("cannot read the ledger stream: {e}"))?;
    Ok(stream.map_or(0, |s| s.cached_info().state.messages))
}

/// Waits until the ledger holds `target` messages, or until none came in
/// for [`QUIET`], or `limit` passed; the count then.
pub async fn settle(client: &Client, target: u64, limit: Duration) -> Result<u64, String> {
    let deadline = Instant::now() + limit;
    let mut count = stored(client).await?;
    let mut changed = Instant::now();
    while count < target && changed.elapsed() < QUIET && Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        let now = stored(client).await?;
        if now != count {
            count = now;
            changed = Instant::now();
        }
    }
    Ok(count)
}
