//! The agent's answers to ops' questions, "are you there?" (presence) and
//! "who is connected?" (the session list), in a task of their own: a display
//! that blocks, or a catch-up that holds live messages back in the main
//! loop, must never make a live session look gone.
//!
//! Each answer goes on a subject that carries this session's id, the one
//! kind of subject a broker enforcing per-session identity lets it publish
//! on (docs/protocol.md).

use async_nats::{Client, Subscriber};
use futures::StreamExt;
use remote_message::sessions::{self, SessionInfo};
use remote_message::subject::{self, presence_subject, SESSIONS_PING};
use tracing::{debug, warn};

/// The subscriptions to ops' questions, and what this session answers.
pub struct Answers {
    client: Client,
    info: SessionInfo,
    presence: Subscriber,
    listings: Subscriber,
}

impl Answers {
    /// Subscribes to this session's presence subject and to session
    /// listings (sent once connected, with the agent's other subscriptions).
    pub async fn subscribe(
        client: Client,
        info: &SessionInfo,
    ) -> Result<Answers, async_nats::Error> {
        let entry_size = info.entry_payload().len();
        if entry_size > sessions::MAX_ENTRY_BYTES {
            warn!(
                event = remote_message::Event::EntryTooLarge.name(),
                "this session's list entry is {entry_size} bytes, over the {} a listing takes: \
                 it will not be listed (use fewer or shorter --label)",
                sessions::MAX_ENTRY_BYTES
            );
        }
        Ok(Answers {
            presence: client.subscribe(presence_subject(&info.id)).await?,
            listings: client.subscribe(SESSIONS_PING).await?,
            client,
            info: info.clone(),
        })
    }

    /// Answers until the subscriptions end (the connection drains or closes).
    pub async fn run(mut self) {
        loop {
            tokio::select! {
                Some(question) = self.presence.next() => self.answer_presence(&question).await,
                Some(question) = self.listings.next() => self.answer_listing(&question).await,
                else => return,
            }
        }
    }

    /// Answers a presence request on its reply subject, only when that is
    /// `presence.<token>.<own id>` (the one shape the broker lets it use).
    async fn answer_presence(&self, question: &async_nats::Message) {
        let Some(reply) = question.reply.clone() else {
            return;
        };
        if subject::presence_about(&reply).as_ref() != Some(&self.info.id) {
            debug!(
                "presence request with reply subject {reply:?} not answered: not presence.<token>.{}",
                self.info.id
            );
            return;
        }
        let answer = serde_json::json!({ "session": self.info.id });
        if let Err(e) = self.client.publish(reply, answer.to_string().into()).await {
            debug!("presence answer not sent: {e}");
        }
    }

    /// Answers a session listing on `sessions.entry.<token>.<id>.<user>`;
    /// a reply subject of any other shape gets nothing.
    async fn answer_listing(&self, question: &async_nats::Message) {
        let Some(reply) = question.reply.as_deref() else {
            return;
        };
        let Some((to, payload)) = sessions::entry_answer(reply, &self.info) else {
            debug!("session listing with reply subject {reply:?} not answered: not sessions.entry.<token>");
            return;
        };
        if let Err(e) = self.client.publish(to, payload.into()).await {
            debug!("session list entry not sent: {e}");
        }
    }
}
