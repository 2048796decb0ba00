//! The ledger's side of a send: its record on `sends.<id>.sent` (so
//! `publisher status` can tell, later and from anywhere, whom it targeted
//! and what it asked), and with `--answer … --wait` the sessions' rows as
//! they come, until every target answered or the wait is over.

use super::plan::Plan;
use crate::error::Error;
use crate::i18n::{errors, tr};
use crate::ledger::Ledger;
use crate::link::Link;
use crate::tally::Tally;
use async_nats::Subscriber;
use futures::StreamExt;
use remote_message::ledger;
use tracing::warn;

/// With `--answer` and a wait: the subscription to the send's ledger rows,
/// made before anything is published so no answer is missed.
pub async fn listen(link: &Link, plan: &Plan) -> Result<Option<Subscriber>, Error> {
    if plan.record.answers.is_empty() || plan.wait.is_none() {
        return Ok(None);
    }
    link.client
        .subscribe(ledger::events_filter(&plan.id))
        .await
        .map(Some)
        .map_err(|e| link.server_failure(&tr!(errors(), "failed-subscribing"), e))
}

/// Records the send in the ledger when the server has one (a failure
/// there is a warning: the messages went out), then with `rows` collects
/// the answers until every target answered or the plan's wait passed.
pub async fn record_and_collect(
    link: &Link,
    plan: &Plan,
    rows: Option<Subscriber>,
) -> Result<Option<Tally>, Error> {
    let deadline = plan.wait.map(|w| tokio::time::Instant::now() + w.within);
    let recorded = Ledger::record_first(link, ledger::sent_subject(&plan.id), &plan.record).await;
    if let Err(e) = recorded {
        warn!("the ledger did not record this send (publisher status will not know it): {e}");
    }
    let (Some(mut rows), Some(deadline)) = (rows, deadline) else {
        return Ok(None);
    };
    let mut tally = Tally::new(plan.record.answers.clone(), plan.record.sessions.as_deref());
    while !tally.settled() {
        let Ok(Some(message)) = tokio::time::timeout_at(deadline, rows.next()).await else {
            break;
        };
        if let Some(row) = ledger::event_from(&plan.id, &message.subject, &message.payload) {
            tally.add(row);
        }
    }
    let _ = rows.unsubscribe().await;
    Ok(Some(tally))
}
