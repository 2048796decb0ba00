//! `publisher send`: one message per target, everything validated before
//! anything is sent, flushed before the process ends, and — when waiting —
//! each target reported as delivered, not connected, or not confirmed.

use crate::cli::{SendArgs, DEFAULT_RECEIPT_WAIT};
use crate::link::Link;
use crate::Failure;
use async_nats::{HeaderMap, RequestErrorKind};
use futures::StreamExt;
use remote_message::connection::ConnectionArgs;
use remote_message::envelope::{Envelope, MSG_ID_HEADER};
use remote_message::sessions::{self, Receipt};
use remote_message::{exit, identity, SessionId, Target};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Read;
use std::time::Duration;

/// What became of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sent without waiting.
    Sent,
    /// The agent confirmed it showed the message.
    Delivered,
    /// Nobody holds that session id (NATS no-responders, known at once).
    NotConnected,
    /// Someone holds it, but no receipt came within the wait.
    NoConfirmation,
}

/// One message on the wire.
#[derive(Debug, Serialize)]
pub struct Sent {
    pub id: String,
    pub subject: String,
    /// For a session send: what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// What `send` reports, as text or `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Id of this send; the message id itself for a broadcast.
    pub id: String,
    pub subjects: Vec<String>,
    pub messages: Vec<Sent>,
    /// Whether receipts were awaited.
    pub waited: bool,
    /// Sessions a receipt was expected from.
    pub expected: usize,
    /// Of those, how many confirmed.
    pub delivered: usize,
    /// Expected sessions that did not confirm.
    pub missing: Vec<SessionId>,
    /// Of the missing, those nobody holds.
    pub not_connected: Vec<SessionId>,
    /// Broadcast only: sessions that confirmed but were not listed before
    /// the send (they joined meanwhile).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_delivered: Vec<SessionId>,
}

pub async fn run(connection: &ConnectionArgs, args: SendArgs) -> Result<(), Failure> {
    // 1. What the user typed is checked before any connection is made.
    let text = message_text(&args.message)?;
    if let Some(user) = args.users.iter().find(|u| u.trim().is_empty()) {
        return Err(Failure::usage(format!(
            "--user {user:?} is empty: give a user name as `publisher sessions` lists it"
        )));
    }
    let sender = args.sender.clone().unwrap_or_else(identity::user_at_host);
    // Validates text and title once, with the real values.
    Envelope::new(text.clone(), args.title.clone(), Some(sender.clone()))
        .map_err(|e| Failure::usage(e.to_string()))?;

    let link = Link::open(connection).await?;
    let list_wait = connection.timeout.unwrap_or(sessions::DEFAULT_LIST_WAIT);

    // 2. Targets: named sessions, plus every live session of each --user.
    let mut session_ids = args.sessions.clone();
    if !args.users.is_empty() {
        let live = sessions::discover(&link.client, list_wait)
            .await
            .map_err(|e| link.server_failure("listing sessions failed", e))?;
        for user in &args.users {
            let theirs: Vec<_> = live.iter().filter(|s| &s.user == user).collect();
            if theirs.is_empty() {
                let known: BTreeSet<&str> = live.iter().map(|s| s.user.as_str()).collect();
                return Err(Failure::with_code(
                    exit::NO_SESSION,
                    format!(
                        "no live session for user {user:?}; live users: {}; nothing was sent",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.into_iter().collect::<Vec<_>>().join(", ")
                        }
                    ),
                ));
            }
            session_ids.extend(theirs.into_iter().map(|s| s.id.clone()));
        }
    }
    let targets = targets(&session_ids);
    let broadcast = targets == [Target::Broadcast];
    let wait = match (args.no_wait, args.wait) {
        (true, _) => None,
        (false, Some(wait)) => Some(wait),
        (false, None) if broadcast => None,
        (false, None) => Some(DEFAULT_RECEIPT_WAIT),
    };

    // 3. Build every message, and refuse them all if one is over the
    //    server's size limit (known only now).
    let send_id = nuid::next().to_string();
    let messages = targets
        .iter()
        .map(|target| {
            let id = match target {
                Target::Broadcast => send_id.clone(),
                Target::Session(session) => format!("{send_id}-{session}"),
            };
            let envelope =
                Envelope::with_id(id, text.clone(), args.title.clone(), Some(sender.clone()))
                    .map_err(|e| Failure::usage(e.to_string()))?;
            Ok(Outgoing::new(target.clone(), envelope))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let max_payload = link.client.server_info().max_payload;
    if let Some(too_big) = messages.iter().find(|m| m.wire_size > max_payload) {
        return Err(Failure::usage(format!(
            "the message is {} bytes on the wire but the server accepts at most {max_payload}: \
             shorten the text (nothing was sent)",
            too_big.wire_size
        )));
    }

    // 4. Send, and collect receipts when waiting.
    let report = match wait {
        None => send_without_waiting(&link, &send_id, messages).await?,
        Some(wait) if broadcast => {
            let listed = sessions::discover(&link.client, list_wait)
                .await
                .map_err(|e| link.server_failure("listing sessions failed", e))?;
            let listed = listed.into_iter().map(|s| s.id).collect();
            broadcast_and_wait(&link, &send_id, messages, listed, wait).await?
        }
        Some(wait) => send_to_sessions_and_wait(&link, &send_id, messages, wait).await?,
    };
    link.settle().await?;

    // 5. Report.
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serializes")
        );
    } else {
        print!("{}", human_report(&report, wait));
    }
    if report.missing.is_empty() {
        Ok(())
    } else {
        Err(Failure::with_code(
            exit::NOT_CONFIRMED,
            format!(
                "{} of {} sessions did not confirm: {}",
                report.missing.len(),
                report.expected,
                join(&report.missing)
            ),
        ))
    }
}

/// A message ready for the wire.
struct Outgoing {
    target: Target,
    id: String,
    headers: HeaderMap,
    payload: Vec<u8>,
    wire_size: usize,
}

impl Outgoing {
    fn new(target: Target, envelope: Envelope) -> Outgoing {
        let payload = envelope.to_payload();
        let mut headers = HeaderMap::new();
        headers.insert(MSG_ID_HEADER, envelope.id.as_str());
        Outgoing {
            wire_size: envelope.wire_size(payload.len()),
            target,
            id: envelope.id,
            headers,
            payload,
        }
    }

    fn sent(&self, outcome: Option<Outcome>) -> Sent {
        Sent {
            id: self.id.clone(),
            subject: self.target.subject(),
            outcome,
        }
    }
}

fn report(send_id: &str, messages: Vec<Sent>, waited: bool) -> Report {
    Report {
        id: send_id.to_owned(),
        subjects: messages.iter().map(|m| m.subject.clone()).collect(),
        messages,
        waited,
        expected: 0,
        delivered: 0,
        missing: Vec::new(),
        not_connected: Vec::new(),
        also_delivered: Vec::new(),
    }
}

async fn send_without_waiting(
    link: &Link<'_>,
    send_id: &str,
    messages: Vec<Outgoing>,
) -> Result<Report, Failure> {
    for m in &messages {
        link.client
            .publish_with_headers(
                m.target.subject(),
                m.headers.clone(),
                m.payload.clone().into(),
            )
            .await
            .map_err(|e| link.server_failure("publishing failed", e))?;
    }
    let sent = messages.iter().map(|m| m.sent(None)).collect();
    Ok(report(send_id, sent, false))
}

/// Each session message is a NATS request: the agent's receipt is the
/// reply, and "no responders" says at once that nobody holds the id.
async fn send_to_sessions_and_wait(
    link: &Link<'_>,
    send_id: &str,
    messages: Vec<Outgoing>,
    wait: Duration,
) -> Result<Report, Failure> {
    let requests = messages.iter().map(|m| {
        let request = async_nats::Request::new()
            .headers(m.headers.clone())
            .payload(m.payload.clone().into())
            .timeout(Some(wait));
        link.client.send_request(m.target.subject(), request)
    });
    let answers = futures::future::join_all(requests).await;
    let mut outcomes = Vec::with_capacity(messages.len());
    for (m, answer) in messages.iter().zip(answers) {
        let outcome = match answer {
            Ok(reply) => match serde_json::from_slice::<Receipt>(&reply.payload) {
                Ok(receipt) if receipt.id == m.id => Outcome::Delivered,
                _ => Outcome::NoConfirmation,
            },
            Err(e) if e.kind() == RequestErrorKind::NoResponders => Outcome::NotConnected,
            Err(e) if e.kind() == RequestErrorKind::TimedOut => Outcome::NoConfirmation,
            Err(e) => return Err(link.server_failure("sending failed", e)),
        };
        outcomes.push(outcome);
    }
    let mut report = report(
        send_id,
        messages
            .iter()
            .zip(&outcomes)
            .map(|(m, o)| m.sent(Some(*o)))
            .collect(),
        true,
    );
    for (m, outcome) in messages.iter().zip(outcomes) {
        let Target::Session(session) = &m.target else {
            continue;
        };
        report.expected += 1;
        match outcome {
            Outcome::Delivered => report.delivered += 1,
            Outcome::NotConnected => {
                report.not_connected.push(session.clone());
                report.missing.push(session.clone());
            }
            Outcome::NoConfirmation | Outcome::Sent => report.missing.push(session.clone()),
        }
    }
    Ok(report)
}

/// The broadcast carries a reply inbox; every agent answers there. Waits
/// until each listed session confirmed, or `wait` passed.
async fn broadcast_and_wait(
    link: &Link<'_>,
    send_id: &str,
    messages: Vec<Outgoing>,
    listed: BTreeSet<SessionId>,
    wait: Duration,
) -> Result<Report, Failure> {
    let inbox = link.client.new_inbox();
    let mut receipts = link
        .client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| link.server_failure("subscribing for receipts failed", e))?;
    for m in &messages {
        link.client
            .publish_with_reply_and_headers(
                m.target.subject(),
                inbox.clone(),
                m.headers.clone(),
                m.payload.clone().into(),
            )
            .await
            .map_err(|e| link.server_failure("publishing failed", e))?;
    }
    link.client
        .flush()
        .await
        .map_err(|e| link.server_failure("flushing failed", e))?;

    let mut confirmed = BTreeSet::new();
    let mut also = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + wait;
    while confirmed.len() < listed.len() {
        let Ok(Some(reply)) = tokio::time::timeout_at(deadline, receipts.next()).await else {
            break;
        };
        let Ok(receipt) = serde_json::from_slice::<Receipt>(&reply.payload) else {
            continue; // e.g. a no-responders status when nobody listens
        };
        if receipt.id != send_id {
            continue;
        }
        if listed.contains(&receipt.session) {
            confirmed.insert(receipt.session);
        } else {
            also.insert(receipt.session);
        }
    }
    let _ = receipts.unsubscribe().await;

    let mut report = report(
        send_id,
        messages.iter().map(|m| m.sent(None)).collect(),
        true,
    );
    report.expected = listed.len();
    report.delivered = confirmed.len();
    report.missing = listed.difference(&confirmed).cloned().collect();
    report.also_delivered = also.into_iter().collect();
    Ok(report)
}

fn human_report(report: &Report, wait: Option<Duration>) -> String {
    let mut out = String::new();
    for m in &report.messages {
        let outcome = match m.outcome {
            None | Some(Outcome::Sent) => String::new(),
            Some(Outcome::Delivered) => ": delivered".to_owned(),
            Some(Outcome::NotConnected) => ": not connected".to_owned(),
            Some(Outcome::NoConfirmation) => format!(
                ": no confirmation within {}",
                humantime::format_duration(wait.unwrap_or_default())
            ),
        };
        out.push_str(&format!("sent {} to {}{outcome}\n", m.id, m.subject));
    }
    if report.waited {
        out.push_str(&format!(
            "delivered to {} of {} sessions",
            report.delivered, report.expected
        ));
        if !report.missing.is_empty() {
            out.push_str(&format!("; missing: {}", join(&report.missing)));
        }
        out.push('\n');
        if !report.also_delivered.is_empty() {
            out.push_str(&format!(
                "also delivered to sessions that joined meanwhile: {}\n",
                join(&report.also_delivered)
            ));
        }
    }
    out
}

fn join(ids: &[SessionId]) -> String {
    ids.iter()
        .map(SessionId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
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
