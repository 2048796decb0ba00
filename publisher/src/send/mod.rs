//! `publisher send`: one message per target, everything validated before
//! anything is sent; stored in the stream (when the server has JetStream)
//! and acknowledged before success is reported; and — when waiting — each
//! target reported as delivered, not connected, or not confirmed.
//!
//! A pipeline the bench drives too:
//! - [`plan`]: the [`Request`] and what was looked up → every message as it
//!   goes on the wire and who must confirm it (pure);
//! - [`dispatch`]: look-ups, publishing, receipts → a [`Report`];
//! - [`report`]: the typed report and its verdict;
//! - [`render`]: the report as text or JSON.
//!
//! [`run`] only turns the command line into a [`Request`] and drives them.

pub mod dispatch;
pub mod plan;
pub mod render;
pub mod report;

pub use plan::{Request, WaitPolicy, DEFAULT_RECEIPT_WAIT};
pub use report::Report;

use crate::cli::SendArgs;
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use remote_message::keys::SeedErrorKind;
use remote_message::signing;
use remote_message_cli::connection::ConnectionArgs;
use remote_message_cli::identity;
use std::io::Read;

/// Sends as the command line asks; prints the report; fails when nothing
/// could be sent or some target did not confirm.
pub async fn run(connection: &ConnectionArgs, args: SendArgs) -> Result<(), Error> {
    let json = args.json;
    let request = request(args)?;
    let needs = request.check()?;
    let link = Link::open(connection).await?;
    let lookups = dispatch::look_up(&link, needs).await?;
    let plan = plan::plan(&request, lookups)?;
    let route = dispatch::Route::expect(&link);
    let report = dispatch::dispatch(&link, &route, &plan).await?;
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

/// The command line as a [`Request`]: the text read (all of stdin for
/// `-`), `--user` checked, the key loaded, the sender and send id
/// defaulted; in that order, so the first mistake is the one reported.
fn request(args: SendArgs) -> Result<Request, Error> {
    let mut request = Request {
        text: message_text(&args.message)?,
        title: args.title,
        sender: args.sender.unwrap_or_else(identity::user_at_host),
        priority: args.priority,
        ttl: args.ttl,
        id: args.id.unwrap_or_else(remote_message::SendId::random),
        sessions: args.sessions,
        users: args.users,
        seal: args.seal,
        sign_key: None,
        wait: match (args.no_wait, args.wait) {
            (true, _) => WaitPolicy::Never,
            (false, Some(within)) => WaitPolicy::Within(within),
            (false, None) => WaitPolicy::Default,
        },
    };
    request.check_users()?;
    if let Some(path) = &args.sign_key {
        request.sign_key = Some(signing::load_key(path).map_err(|e| {
            let path = path.display().to_string();
            let message = match e.kind() {
                SeedErrorKind::Unreadable => tr!(
                    errors(),
                    "sign-key-unreadable",
                    path = path,
                    cause = std::error::Error::source(&e)
                        .map_or_else(|| e.to_string(), ToString::to_string)
                ),
                SeedErrorKind::NoSeed => tr!(errors(), "sign-key-no-seed", path = path),
            };
            ErrorKind::Usage.error(message).caused_by(e)
        })?);
    }
    Ok(request)
}

/// The message text: the words joined with spaces, or all of stdin for `-`
/// alone (without its final newline).
fn message_text(words: &[String]) -> Result<String, Error> {
    if words != ["-"] {
        return Ok(words.join(" "));
    }
    let mut raw = Vec::new();
    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
        ErrorKind::Usage
            .error(tr!(errors(), "stdin-unreadable", cause = e.to_string()))
            .caused_by(e)
    })?;
    let text = String::from_utf8(raw).map_err(|e| {
        ErrorKind::Usage
            .error(tr!(errors(), "stdin-not-utf8"))
            .caused_by(e)
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}
