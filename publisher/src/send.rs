//! `publisher send`: one message per target, everything validated before
//! anything is sent; stored in the stream (when the server has JetStream)
//! and acknowledged before success is reported; and — when waiting — each
//! target reported as delivered, not connected, or not confirmed.

use crate::cli::{SendArgs, DEFAULT_RECEIPT_WAIT};
use crate::link::Link;
use crate::reads::Reads;
use crate::Failure;
use async_nats::jetstream;
use async_nats::{HeaderMap, RequestErrorKind, Subscriber};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use remote_message::envelope::{wire_size, Envelope, MSG_ID_HEADER, RECEIPT_TO_HEADER};
use remote_message::sessions::{self, Receipt};
use remote_message::stream::{self as log, StreamErrorKind};
use remote_message::subject::presence_subject;
use remote_message::{sealing, signing};
use remote_message::{SessionId, Target};
use remote_message_cli::connection::ConnectionArgs;
use remote_message_cli::{exit, identity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::Duration;
use tracing::warn;

/// What became of one target of a send that waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
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
    /// For a session send that waits: what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// For a session send that waits: whether the user acknowledged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
}

/// What `send` reports, as text or `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Id of this send; the message id itself for a broadcast.
    pub id: String,
    pub subjects: Vec<String>,
    pub messages: Vec<Sent>,
    /// Whether the stream stored (and acknowledged) every message.
    pub stored: bool,
    /// Whether the stream had seen this id already (a repeated send).
    pub duplicate: bool,
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
    /// Expected sessions whose user acknowledged the message (clicked OK).
    pub read: Vec<SessionId>,
    /// Delivered sessions whose display cannot report read.
    pub read_unsupported: Vec<SessionId>,
}

pub async fn run(connection: &ConnectionArgs, args: SendArgs) -> Result<(), Failure> {
    // 1. What the user typed is checked before any connection is made.
    let text = message_text(&args.message)?;
    if let Some(user) = args.users.iter().find(|u| u.trim().is_empty()) {
        return Err(Failure::usage(format!(
            "--user {user:?} is empty: give a user name as `publisher sessions` lists it"
        )));
    }
    let sign_key = match &args.sign_key {
        Some(path) => Some(signing::load_key(path).map_err(|e| Failure::usage(e.to_string()))?),
        None => None,
    };
    if args.seal && args.sessions.is_empty() && args.users.is_empty() {
        return Err(Failure::usage(
            "--seal needs --session or --user: a broadcast is for everyone and cannot be sealed to one key",
        ));
    }
    let sender = args.sender.clone().unwrap_or_else(identity::user_at_host);
    let send_id = args.id.clone().unwrap_or_else(|| nuid::next().to_string());
    let envelope_for = |id: String| {
        let envelope =
            Envelope::with_id(id, text.clone(), args.title.clone(), Some(sender.clone()))
                .map_err(|e| Failure::usage(e.to_string()))?
                .with_priority(args.priority);
        Ok::<_, Failure>(match args.ttl {
            Some(ttl) => envelope.expiring_after(ttl),
            None => envelope,
        })
    };
    envelope_for(send_id.clone())?;

    let link = Link::open(connection).await?;
    let list_wait = connection.timeout.unwrap_or(sessions::DEFAULT_LIST_WAIT);

    // 2. Targets: named sessions, plus every live session of each --user.
    let mut session_ids = args.sessions.clone();
    // The live sessions, when --user or --seal needs them.
    let live = if args.users.is_empty() && !args.seal {
        Vec::new()
    } else {
        sessions::discover(&link.client, list_wait)
            .await
            .map_err(|e| link.server_failure("listing sessions failed", e))?
    };
    for user in &args.users {
        let theirs: Vec<_> = live.iter().filter(|s| &s.user == user).collect();
        if theirs.is_empty() {
            let known: BTreeSet<&str> = live.iter().map(|s| s.user.as_str()).collect();
            let known = if known.is_empty() {
                "none".to_owned()
            } else {
                known.into_iter().collect::<Vec<_>>().join(", ")
            };
            return Err(Failure::with_code(
                exit::NO_SESSION,
                format!("no live session for user {user:?}; live users: {known}; nothing was sent"),
            ));
        }
        session_ids.extend(theirs.into_iter().map(|s| s.id.clone()));
    }
    let targets = targets(&session_ids);
    let broadcast = targets == [Target::Broadcast];
    // --seal: every target's key, or nothing is sent.
    let mut seal_keys = BTreeMap::new();
    for target in targets.iter().filter(|_| args.seal) {
        let Target::Session(id) = target else {
            continue;
        };
        let info = live.iter().find(|s| &s.id == id).ok_or_else(|| {
            Failure::with_code(
                exit::CANNOT_SEAL,
                format!("session {id} is not live, so its key is unknown: cannot seal to it; nothing was sent"),
            )
        })?;
        let key = info.xkey.clone().ok_or_else(|| {
            Failure::with_code(
                exit::CANNOT_SEAL,
                format!("session {id} advertises no key to seal to (an older or foreign agent); nothing was sent"),
            )
        })?;
        seal_keys.insert(id.clone(), key);
    }
    let wait = match (args.no_wait, args.wait) {
        (true, _) => None,
        (false, Some(wait)) => Some(wait),
        (false, None) if broadcast => None,
        (false, None) => Some(DEFAULT_RECEIPT_WAIT),
    };

    // 3. Who must confirm: the named sessions, or for a broadcast the
    //    sessions live just before sending.
    let listed = match (wait, broadcast) {
        (Some(_), true) => Some(
            sessions::discover(&link.client, list_wait)
                .await
                .map_err(|e| link.server_failure("listing sessions failed", e))?,
        ),
        _ => None,
    };

    // 4. Build every message (stamped now); refuse them all if one is over the server's
    //    size limit (known only now). Nothing has been sent yet.
    let receipt_inbox = wait.map(|_| link.client.new_inbox());
    let messages = targets
        .iter()
        .map(|target| {
            let id = match target {
                Target::Broadcast => send_id.clone(),
                Target::Session(session) => format!("{send_id}-{session}"),
            };
            let subject = target.subject();
            let mut envelope = envelope_for(id.clone())?;
            if let Some(key) = &sign_key {
                envelope.sign(key, &subject);
            }
            let mut payload = envelope.to_payload();
            if let Target::Session(session) = target {
                if let Some(key) = seal_keys.get(session) {
                    payload = sealing::seal(&id, &payload, key).map_err(|e| {
                        Failure::with_code(
                            exit::CANNOT_SEAL,
                            format!("cannot seal to session {session}: {e}"),
                        )
                    })?;
                }
            }
            Ok(Outgoing::new(
                target.clone(),
                id,
                payload,
                receipt_inbox.as_deref(),
            ))
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
    let expected: BTreeMap<SessionId, String> = match listed {
        Some(listed) => listed
            .into_iter()
            .map(|s| (s.id, send_id.clone()))
            .collect(),
        None if wait.is_some() => messages
            .iter()
            .filter_map(|m| match &m.target {
                Target::Session(id) => Some((id.clone(), m.id.clone())),
                Target::Broadcast => None,
            })
            .collect(),
        None => BTreeMap::new(),
    };
    // Listen for receipts before publishing.

    let receipts = match &receipt_inbox {
        Some(inbox) => Some(
            link.client
                .subscribe(inbox.clone())
                .await
                .map_err(|e| link.server_failure("subscribing for receipts failed", e))?,
        ),
        None => None,
    };

    // 5. Publish: through the stream when there is one, so success means stored.
    let (stored, duplicate) = publish(&link, &messages).await?;

    // 6. Collect receipts.
    let mut report = Report {
        id: send_id,
        subjects: messages.iter().map(|m| m.target.subject()).collect(),
        messages: Vec::new(),
        stored,
        duplicate,
        waited: wait.is_some(),
        expected: expected.len(),
        delivered: 0,
        missing: Vec::new(),
        not_connected: Vec::new(),
        also_delivered: Vec::new(),
        read: Vec::new(),
        read_unsupported: Vec::new(),
    };
    let mut outcomes = BTreeMap::new();
    let mut reads = Reads::default();
    // An explicit --wait also waits for read receipts; the default wait of a
    // session send ends once every session is accounted for.
    let wait_for_read = args.wait.is_some();
    if let (Some(wait), Some(receipts)) = (wait, receipts) {
        let collected = collect(&link, receipts, &expected, !broadcast, wait, wait_for_read).await;
        outcomes = collected.outcomes;
        reads = collected.reads;
        report.also_delivered = collected.unexpected;
    }
    report.read = reads.read();
    report.read_unsupported = reads.unsupported(
        outcomes
            .iter()
            .filter(|(_, outcome)| **outcome == Outcome::Delivered)
            .map(|(session, _)| session),
    );
    for (session, outcome) in &outcomes {
        match outcome {
            Outcome::Delivered => report.delivered += 1,
            Outcome::NotConnected => {
                report.not_connected.push(session.clone());
                report.missing.push(session.clone());
            }
            Outcome::NoConfirmation => report.missing.push(session.clone()),
        }
    }
    report.messages = messages
        .iter()
        .map(|m| Sent {
            id: m.id.clone(),
            subject: m.target.subject(),
            outcome: match &m.target {
                Target::Session(id) => outcomes.get(id).copied(),
                Target::Broadcast => None,
            },
            read: match &m.target {
                Target::Session(id) if outcomes.contains_key(id) => Some(reads.is_read(id)),
                _ => None,
            },
        })
        .collect();
    link.settle().await?;

    // 7. Report.
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("a report serializes")
        );
    } else {
        print!("{}", human_report(&report, wait, wait_for_read));
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
    fn new(target: Target, id: String, payload: Vec<u8>, receipt_to: Option<&str>) -> Outgoing {
        let mut pairs = vec![(MSG_ID_HEADER, id.as_str())];
        pairs.extend(receipt_to.map(|inbox| (RECEIPT_TO_HEADER, inbox)));
        let mut headers = HeaderMap::new();
        for (name, value) in &pairs {
            headers.insert(*name, *value);
        }
        Outgoing {
            wire_size: wire_size(&pairs, payload.len()),
            target,
            id,
            headers,
            payload,
        }
    }
}

/// Publishes every message; through the stream when the server has
/// JetStream (returns stored = true once each is acknowledged), else live
/// only with one warning. Returns (stored, any duplicate).
async fn publish(link: &Link<'_>, messages: &[Outgoing]) -> Result<(bool, bool), Failure> {
    let js = jetstream::new(link.client.clone());
    match log::get_or_create(&js).await {
        Ok(_) => {}
        Err(e) if e.kind() == StreamErrorKind::NoJetStream => {
            warn!(
                "this NATS server has no JetStream: the message is delivered live only, and \
                 sessions offline now will not see it"
            );
            for m in messages {
                link.client
                    .publish_with_headers(
                        m.target.subject(),
                        m.headers.clone(),
                        m.payload.clone().into(),
                    )
                    .await
                    .map_err(|e| link.server_failure("publishing failed", e))?;
            }
            return Ok((false, false));
        }
        Err(e) => {
            return Err(link
                .refusal()
                .unwrap_or_else(|| link.server_failure("the message stream is not usable", e)))
        }
    }
    let mut acks = Vec::with_capacity(messages.len());
    for m in messages {
        let ack = js
            .publish_with_headers(
                m.target.subject(),
                m.headers.clone(),
                m.payload.clone().into(),
            )
            .await
            .map_err(|e| link.server_failure("publishing failed", e))?;
        acks.push(ack);
    }
    let mut duplicate = false;
    for ack in acks {
        let ack = tokio::time::timeout(link.args.connect_timeout(), ack)
            .await
            .map_err(|_| {
                link.refusal().unwrap_or_else(|| {
                    Failure::server(
                        "the stream did not acknowledge the message in time: it may not be \
                         stored; send again with the same --id to be sure",
                    )
                })
            })?
            .map_err(|e| {
                link.refusal().unwrap_or_else(|| {
                    link.server_failure(
                        "the stream did not store the message (send again with the same --id)",
                        e,
                    )
                })
            })?;
        duplicate |= ack.duplicate;
    }
    Ok((true, duplicate))
}

/// What receipt collection found.
struct Collected {
    outcomes: BTreeMap<SessionId, Outcome>,
    /// Sessions that confirmed without being expected.
    unexpected: Vec<SessionId>,
    reads: Reads,
}

/// Waits until every expected session confirmed or is known not connected
/// (and, with `wait_for_read`, until each that can report read did), or
/// `wait` passed. With `check_presence`, asks each session's presence
/// subject: "no responders" there means nobody holds the id, at once.
async fn collect(
    link: &Link<'_>,
    mut receipts: Subscriber,
    expected: &BTreeMap<SessionId, String>,
    check_presence: bool,
    wait: Duration,
    wait_for_read: bool,
) -> Collected {
    let mut reads = Reads::default();
    let mut outcomes: BTreeMap<SessionId, Outcome> = expected
        .keys()
        .map(|id| (id.clone(), Outcome::NoConfirmation))
        .collect();
    let mut open: BTreeSet<SessionId> = expected.keys().cloned().collect();
    let mut unexpected = BTreeSet::new();
    let mut presence: FuturesUnordered<_> = FuturesUnordered::new();
    if check_presence {
        for id in expected.keys() {
            let request = async_nats::Request::new().timeout(Some(wait));
            let client = link.client.clone();
            let id = id.clone();
            presence.push(async move {
                let answer = client.send_request(presence_subject(&id), request).await;
                (id, answer)
            });
        }
    }
    let deadline = tokio::time::Instant::now() + wait;
    while !open.is_empty() || (wait_for_read && reads.awaited()) {
        tokio::select! {
            receipt = receipts.next() => {
                let Some(receipt) = receipt else { break };
                let Ok(receipt) = serde_json::from_slice::<Receipt>(&receipt.payload) else { continue };
                match expected.get(&receipt.session) {
                    Some(id) if *id == receipt.id => {
                        reads.record(&receipt);
                        outcomes.insert(receipt.session.clone(), Outcome::Delivered);
                        open.remove(&receipt.session);
                    }
                    Some(_) => {}
                    None => { unexpected.insert(receipt.session); }
                }
            }
            Some((id, answer)) = presence.next(), if !presence.is_empty() => {
                if matches!(&answer, Err(e) if e.kind() == RequestErrorKind::NoResponders)
                    && outcomes.get(&id) != Some(&Outcome::Delivered)
                {
                    outcomes.insert(id.clone(), Outcome::NotConnected);
                    open.remove(&id);
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    let _ = receipts.unsubscribe().await;
    Collected {
        outcomes,
        unexpected: unexpected.into_iter().collect(),
        reads,
    }
}

fn human_report(report: &Report, wait: Option<Duration>, wait_for_read: bool) -> String {
    let mut out = String::new();
    for m in &report.messages {
        let outcome = match m.outcome {
            None => String::new(),
            Some(Outcome::Delivered) if m.read == Some(true) => ": delivered, read".to_owned(),
            Some(Outcome::Delivered) => ": delivered".to_owned(),
            Some(Outcome::NotConnected) if report.stored => {
                ": not connected (stored: shown when that session comes back)".to_owned()
            }
            Some(Outcome::NotConnected) => ": not connected".to_owned(),
            Some(Outcome::NoConfirmation) => format!(
                ": no confirmation within {}",
                humantime::format_duration(wait.unwrap_or_default())
            ),
        };
        out.push_str(&format!("sent {} to {}{outcome}\n", m.id, m.subject));
    }
    if report.duplicate {
        out.push_str(
            "the stream had this send id already: agents that showed it will not show it again\n",
        );
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
        if wait_for_read || !report.read.is_empty() {
            out.push_str(&format!(
                "read by {} of {} delivered",
                report.read.len(),
                report.delivered
            ));
            if !report.read_unsupported.is_empty() {
                out.push_str(&format!(
                    "; cannot report read: {}",
                    join(&report.read_unsupported)
                ));
            }
            out.push('\n');
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
