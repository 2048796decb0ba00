//! `publisher send`: one message per target, everything validated before
//! anything is sent; stored in the stream (when the server has JetStream)
//! and acknowledged before success is reported; and — when waiting — each
//! target reported as delivered, not connected, or not confirmed.
//!
//! A pipeline the bench drives too (a module only uses modules listed before it):
//! - [`plan`]: the [`Request`] and what was looked up → every message as it
//!   goes on the wire and who must confirm it (pure);
//! - [`report`]: the typed report and its verdict;
//! - [`render`]: the report as text or JSON;
//! - [`dispatch`]: look-ups, publishing, receipts → a [`Report`];
//! - [`record`]: the send's ledger record, and the answers as they come.
//!
//! [`run`] only drives them; the command line builds its [`Request`]
//! (`crate::cli`).

pub mod dispatch;
pub mod plan;
pub mod record;
pub mod render;
pub mod report;

pub use plan::{Request, WaitPolicy, DEFAULT_RECEIPT_WAIT};
pub use report::Report;

use crate::error::Error;
use crate::link::Link;
use remote_message_cli::connection::ConnectionArgs;

/// Sends `request`; prints the report (one JSON object when `json`); fails
/// when nothing could be sent or some target did not confirm.
pub async fn run(connection: &ConnectionArgs, request: Request, json: bool) -> Result<(), Error> {
    let checked = request.check()?;
    let link = Link::open(connection).await?;
    let lookups = dispatch::look_up(&link, checked.needs).await?;
    let plan = checked.plan(lookups)?;
    let rows = record::listen(&link, &plan).await?;
    let route = dispatch::Route::expect(&link);
    let (report, tally) = tokio::join!(
        dispatch::dispatch(&link, &route, &plan),
        record::record_and_collect(&link, &plan, rows)
    );
    let mut report = report?;
    report.tally = tally?;
    link.settle().await?;
    let confirmed = report.confirmed();
    let out = if json {
        render::json(&report, confirmed.as_ref().err())
    } else {
        render::text(&report, crate::i18n::lang())
    };
    print!("{out}");
    confirmed
}
