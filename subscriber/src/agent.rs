//! The reusable heart of an agent, free of process concerns (signals,
//! stdout, exit codes): subscribe to `broadcast` and `session.<id>`, join the
//! session list, turn each payload into a message to show, and confirm it.
//! The `subscriber` binary and the benchmarks both run this code.

use async_nats::service::Service;
use async_nats::{Client, Subject, Subscriber};
use futures::stream::Select;
use futures::StreamExt;
use jiff::Timestamp;
use remote_message::envelope::{self, MSG_ID_HEADER};
use remote_message::sessions::{self, Receipt, SessionInfo};
use remote_message::{identity, Incoming, SessionId, Target};
use tracing::{debug, warn};

/// A message to show.
#[derive(Debug)]
pub struct Delivery {
    pub message: Incoming,
    pub target: Target,
    /// Where the sender waits for a receipt, if it does.
    reply: Option<Subject>,
}

/// One session's subscriptions and its entry in the session list.
pub struct Agent {
    client: Client,
    session: SessionId,
    messages: Select<Subscriber, Subscriber>,
    _listed: Service,
}

/// This session as the session list shows it: `user` defaults to the OS
/// login name.
pub fn session_info(
    session: SessionId,
    user_name: Option<String>,
    labels: impl IntoIterator<Item = (String, String)>,
) -> SessionInfo {
    SessionInfo {
        id: session,
        user: user_name.unwrap_or_else(identity::login_name),
        host: identity::host_name(),
        os: identity::os_name(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        since: Timestamp::now(),
        labels: labels.into_iter().collect(),
    }
}

impl Agent {
    /// Subscribes and joins the session list. With a client still
    /// connecting, the subscriptions are sent once it is connected.
    pub async fn start(client: Client, info: &SessionInfo) -> Result<Agent, async_nats::Error> {
        let broadcast = client.subscribe(Target::Broadcast.subject()).await?;
        let own = client
            .subscribe(Target::Session(info.id.clone()).subject())
            .await?;
        let listed = sessions::advertise(&client, info).await?;
        Ok(Agent {
            client,
            session: info.id.clone(),
            messages: futures::stream::select(broadcast, own),
            _listed: listed,
        })
    }

    pub fn session(&self) -> &SessionId {
        &self.session
    }

    /// The next message to show. Payloads that cannot be shown are logged
    /// and skipped: no payload can stop an agent. `None` once drained.
    pub async fn next(&mut self) -> Option<Delivery> {
        loop {
            let raw = self.messages.next().await?;
            if let Some(delivery) = decode(&raw) {
                return Some(delivery);
            }
        }
    }

    /// Tells a sender that waits that the message is on the user's screen.
    pub async fn confirm(&self, delivery: &Delivery) {
        let Some(reply) = delivery.reply.clone() else {
            return;
        };
        let receipt = Receipt::delivered(&delivery.message.id, &self.session);
        let receipt = serde_json::to_vec(&receipt).expect("a receipt serializes");
        if let Err(e) = self.client.publish(reply, receipt.into()).await {
            debug!("receipt for {} not sent: {e}", delivery.message.id);
        }
    }
}

fn decode(raw: &async_nats::Message) -> Option<Delivery> {
    let subject = raw.subject.as_str();
    let Some(target) = Target::from_subject(subject) else {
        warn!("ignored a message on unexpected subject {subject:?}");
        return None;
    };
    let header_id = raw
        .headers
        .as_ref()
        .and_then(|h| h.get(MSG_ID_HEADER))
        .map(|v| v.as_str());
    match envelope::decode(&raw.payload, header_id) {
        Ok(message) => Some(Delivery {
            message,
            target,
            reply: raw.reply.clone(),
        }),
        Err(rejection) => {
            warn!("ignored a message on {subject}: {rejection}");
            None
        }
    }
}
