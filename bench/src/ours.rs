//! The publisher's own send pipeline, as the in-process figures drive it:
//! every message is planned by `publisher::send::plan::plan`, published
//! along a `publisher::send::dispatch::Route` and, for sends that wait,
//! dispatched and collected by `publisher::send::dispatch::dispatch`, the
//! functions `publisher send` itself runs. This module only chooses the
//! requests; it implements none of the sending. The process-level figures
//! (one-shot, `send --wait` end to end) run the real `publisher` binary.

use async_nats::Client;
use publisher::link::Link;
use publisher::send::dispatch::{self, Pending, Route};
use publisher::send::plan::{self, Lookups, Needs, Outgoing};
use publisher::send::{Request, WaitPolicy};
use remote_message::sessions::SessionInfo;
use remote_message::SessionId;
use std::time::Duration;

/// The publisher's connection, with the route its sends take.
pub struct Publisher {
    pub link: Link,
    route: Route,
    /// The look-ups of a send that needs no session list, minus the
    /// receipt inbox (fresh per waiting send).
    lookups: Lookups,
}

impl Publisher {
    /// Opens the stream as the first `publisher send` on a server does.
    pub async fn new(link: Link) -> Result<Publisher, String> {
        let route = Route::open(&link).await.map_err(|e| e.to_string())?;
        let lookups = dispatch::look_up(
            &link,
            Needs {
                live_sessions: false,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(Publisher {
            link,
            route,
            lookups,
        })
    }

    pub fn client(&self) -> &Client {
        &self.link.client
    }

    /// `publisher send [--session S]... TEXT` from `sender`, with a fresh id.
    fn request(text: String, sender: &str, sessions: Vec<SessionId>, wait: WaitPolicy) -> Request {
        Request {
            text,
            title: None,
            sender: sender.to_owned(),
            priority: None,
            ttl: None,
            id: remote_message::SendId::random(),
            sessions,
            users: Vec::new(),
            seal: false,
            sign_key: None,
            wait,
            asks: Default::default(),
        }
    }

    /// The plan of `request`; `live` stands for the session list.
    fn plan(&self, request: &Request, live: Vec<SessionInfo>) -> Result<plan::Plan, String> {
        let lookups = Lookups {
            live,
            receipt_inbox: match request.wait() {
                Some(_) => remote_message::subject::new_receipt_to(),
                None => String::new(),
            },
            ..self.lookups.clone()
        };
        plan::plan(request, lookups).map_err(|e| e.to_string())
    }

    /// The message `publisher send --no-wait TEXT` puts on the wire.
    pub fn broadcast_message(&self, text: String, sender: &str) -> Result<Outgoing, String> {
        let request = Self::request(text, sender, Vec::new(), WaitPolicy::Never);
        let mut plan = self.plan(&request, Vec::new())?;
        Ok(plan.messages.remove(0))
    }

    /// Publishes along the route; the returned value is its acknowledgement.
    pub async fn publish(&self, m: &Outgoing) -> Result<Pending, String> {
        self.route
            .publish(&self.link, m)
            .await
            .map_err(|e| e.to_string())
    }

    /// Publishes live only, as a send to a server without JetStream does.
    pub async fn publish_live(&self, m: &Outgoing) -> Result<(), String> {
        Route::Live
            .publish(&self.link, m)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Waits for a stream acknowledgement, bounded as the publisher bounds it.
    pub async fn stored(&self, pending: Pending) -> Result<(), String> {
        pending
            .stored(&self.link)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// `publisher send TEXT`: a broadcast that does not wait.
    pub async fn broadcast(&self, text: String, sender: &str) -> Result<(), String> {
        let request = Self::request(text, sender, Vec::new(), WaitPolicy::Default);
        let plan = self.plan(&request, Vec::new())?;
        dispatch::dispatch(&self.link, &self.route, &plan)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// `publisher send --session S TEXT`: waits (the default wait) for the
    /// agent's receipt, with the presence check; fails unless delivered.
    pub async fn send_to_session(
        &self,
        session: &SessionId,
        text: String,
        sender: &str,
    ) -> Result<(), String> {
        let request = Self::request(text, sender, vec![session.clone()], WaitPolicy::Default);
        let plan = self.plan(&request, Vec::new())?;
        let report = dispatch::dispatch(&self.link, &self.route, &plan)
            .await
            .map_err(|e| e.to_string())?;
        report.confirmed().map_err(|e| e.to_string())
    }

    /// `publisher send --wait=WAIT TEXT` with `live` as the session list it
    /// found (the listing is a figure of its own); how many sessions
    /// confirmed, listed or not.
    pub async fn broadcast_and_wait(
        &self,
        text: String,
        sender: &str,
        live: Vec<SessionInfo>,
        wait: Duration,
    ) -> Result<usize, String> {
        let request = Self::request(text, sender, Vec::new(), WaitPolicy::Within(wait));
        let plan = self.plan(&request, live)?;
        let report = dispatch::dispatch(&self.link, &self.route, &plan)
            .await
            .map_err(|e| e.to_string())?;
        Ok(report.delivered + report.also_delivered.len())
    }
}
