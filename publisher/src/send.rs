//! `publisher send`: one message per target, all validated before anything
//! is sent, flushed before the process ends.

use crate::cli::SendArgs;
use crate::Failure;
use async_nats::{Event, HeaderMap, ServerError};
use remote_message::connection::ConnectionArgs;
use remote_message::envelope::{Envelope, MSG_ID_HEADER};
use remote_message::{identity, SessionId, Target};
use serde::Serialize;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to listen for a late `-ERR` (e.g. a permissions violation) after
/// the flush, on servers that require authentication.
const SERVER_ERROR_GRACE: Duration = Duration::from_millis(50);

/// One message on the wire.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub id: String,
    pub subject: String,
}

/// What `send` reports, as text or `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Id of this send; the message id itself for a broadcast.
    pub id: String,
    pub subjects: Vec<String>,
    pub messages: Vec<Sent>,
}

pub async fn run(connection: &ConnectionArgs, args: SendArgs) -> Result<(), Failure> {
    // 1. Everything the user gave is checked before any connection is made.
    let text = message_text(&args.message)?;
    let sender = args.sender.clone().unwrap_or_else(identity::user_at_host);
    let send_id = nuid::next().to_string();
    let targets = targets(&args.sessions);
    let envelopes = targets
        .iter()
        .map(|target| {
            let id = match target {
                Target::Broadcast => send_id.clone(),
                Target::Session(session) => format!("{send_id}-{session}"),
            };
            Envelope::with_id(id, text.clone(), args.title.clone(), Some(sender.clone()))
                .map(|envelope| (target.subject(), envelope))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let options = connection
        .options("publisher")
        .await
        .map_err(|e| Failure::usage(e.to_string()))?;

    // 2. Connect, bounded by --timeout; remember any error the server reports.
    let server_errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = server_errors.clone();
    let options = options.event_callback(move |event| {
        let sink = sink.clone();
        async move {
            if let Event::ServerError(err) = event {
                let text = match err {
                    ServerError::Other(text) => text,
                    other => other.to_string(),
                };
                sink.lock().expect("not poisoned").push(text);
            }
        }
    });
    let client = connection
        .connect(options)
        .await
        .map_err(|e| Failure::server(e.0))?;

    // 3. The server's size limit is known only now; refuse before sending any.
    let max_payload = client.server_info().max_payload;
    let payloads: Vec<_> = envelopes.iter().map(|(_, e)| e.to_payload()).collect();
    for ((_, envelope), payload) in envelopes.iter().zip(&payloads) {
        let size = envelope.wire_size(payload.len());
        if size > max_payload {
            return Err(Failure::usage(format!(
                "the message is {size} bytes on the wire but the server accepts at most \
                 {max_payload}: shorten the text (nothing was sent)"
            )));
        }
    }

    // 4. Publish, then flush so nothing is lost when the process ends.
    for ((subject, envelope), payload) in envelopes.iter().zip(payloads) {
        let mut headers = HeaderMap::new();
        headers.insert(MSG_ID_HEADER, envelope.id.as_str());
        client
            .publish_with_headers(subject.clone(), headers, payload.into())
            .await
            .map_err(|e| Failure::server(connection.scrub(&format!("publishing failed: {e}"))))?;
    }
    tokio::time::timeout(connection.connect_timeout(), client.flush())
        .await
        .map_err(|_| {
            Failure::server(format!(
                "NATS at {} did not confirm the message in time: it may not have been sent",
                connection.display_servers()
            ))
        })?
        .map_err(|e| Failure::server(connection.scrub(&format!("flushing failed: {e}"))))?;
    if client.server_info().auth_required {
        tokio::time::sleep(SERVER_ERROR_GRACE).await;
    }
    let refused = server_errors.lock().expect("not poisoned").clone();
    if !refused.is_empty() {
        return Err(Failure::server(format!(
            "NATS at {} refused the message: {}",
            connection.display_servers(),
            refused.join("; ")
        )));
    }

    // 5. Report what went out.
    let report = Report {
        id: send_id,
        subjects: envelopes.iter().map(|(s, _)| s.clone()).collect(),
        messages: envelopes
            .into_iter()
            .map(|(subject, e)| Sent { id: e.id, subject })
            .collect(),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report always serializes")
        );
    } else {
        for sent in &report.messages {
            println!("sent {} to {}", sent.id, sent.subject);
        }
    }
    Ok(())
}

/// The message text: the argument, or all of stdin for `-` (without its final newline).
fn message_text(arg: &str) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut raw = Vec::new();
    std::io::stdin()
        .read_to_end(&mut raw)
        .map_err(|e| Failure::usage(format!("cannot read the message from stdin: {e}")))?;
    let text = String::from_utf8(raw).map_err(|_| {
        Failure::usage("the message on stdin is not valid UTF-8: convert it to UTF-8 first")
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// Broadcast when no session is named; else each named session once, in order.
fn targets(sessions: &[SessionId]) -> Vec<Target> {
    if sessions.is_empty() {
        return vec![Target::Broadcast];
    }
    let mut seen = std::collections::HashSet::new();
    sessions
        .iter()
        .filter(|s| seen.insert(*s))
        .map(|s| Target::Session(s.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_session_means_broadcast() {
        assert_eq!(targets(&[]), vec![Target::Broadcast]);
    }

    #[test]
    fn repeated_sessions_are_sent_once_each_in_order() {
        let ids: Vec<SessionId> = ["b", "a", "b"].iter().map(|s| s.parse().unwrap()).collect();
        let subjects: Vec<_> = targets(&ids).iter().map(Target::subject).collect();
        assert_eq!(subjects, ["session.b", "session.a"]);
    }
}
