//! Messages as native notifications: what the seed means by "displayed as an
//! alert or a notification on the screen of the session user", on each OS.
//!
//! This file is the OS-neutral part the rest of the agent uses: a
//! [`Notifier`] that probes the service ([`Notifier::connect`]), shows a
//! message ([`Notifier::show`]: again for the same message replaces it),
//! hands an [`Acted`] to the runner when the user clicks OK or one of the
//! message's answers (the runner sends the read receipt, the ledger row),
//! and takes a message down ([`Notifier::close`], for a recall), with typed
//! errors ([`NotifyError`]). What a message looks like on each service is
//! decided once, as plain data, in [`request`]; what the OS backends share
//! with the notifier is in `backend.rs`. One file per OS talks to the
//! service:
//! - `linux.rs`: the freedesktop notification service over D-Bus (also any
//!   other unix but macOS);
//! - `windows.rs`: WinRT toast notifications;
//! - `macos.rs`: the UserNotifications framework.

mod backend;
pub mod request;

#[cfg(all(unix, not(target_os = "macos")))]
mod linux;
#[cfg(all(unix, not(target_os = "macos")))]
use linux as native;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use self::windows as native;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as native;

use crate::delivery::{Acted, Ticket};
use backend::{Acks, Waiting};
pub use backend::{NotifyError, ServiceInfo, APP_NAME, PROBE_TIMEOUT};
use remote_message::{Incoming, MessageId, Target};
use remote_message_cli::lang::Lang;
use request::{BodyFormat, Request};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

/// A notification on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Its id: the freedesktop server's, or on Windows and macOS the
    /// agent's own number for it.
    pub notification: u32,
    /// Whether clicking OK will send a read receipt (and the answers are
    /// buttons).
    pub read_ack: bool,
}

/// Native notifications as an output: the service found on demand.
pub struct Notifier {
    /// The service found, and who it is.
    service: Option<(native::Service, ServiceInfo)>,
    acks: Acks,
    /// The agent's tasks: a backend's click listener is one of them.
    tasks: TaskTracker,
    /// The language of the notification's own words (title, buttons).
    lang: Lang,
}

impl Notifier {
    /// An output that finds the service on the first [`Notifier::connect`]
    /// or message. Messages acknowledged with OK go to `acks`; the
    /// notification's own words are in `lang`.
    pub fn new(acks: mpsc::UnboundedSender<Acted>, tasks: TaskTracker, lang: Lang) -> Notifier {
        Notifier {
            service: None,
            acks: Acks {
                to_runner: acks,
                pending: Arc::default(),
                next: Arc::new(AtomicU32::new(1)),
            },
            tasks,
            lang,
        }
    }

    /// Finds the service (if not found yet) and says who serves
    /// notifications. Bounded by [`PROBE_TIMEOUT`].
    pub async fn connect(&mut self) -> Result<&ServiceInfo, NotifyError> {
        if self.service.is_none() {
            self.service =
                Some(native::Service::connect(self.acks.clone(), &self.tasks, self.lang).await?);
        }
        Ok(&self.service.as_ref().expect("just connected").1)
    }

    /// Shows `message` as a notification, in place of any notification
    /// still showing the same message (a reminder replaces, never stacks).
    /// Clicking OK hands `ticket` back to the runner as read (a read receipt
    /// when a sender waits, and the ledger's row); clicking one of its
    /// answers hands it back with that answer. Either ends the notification.
    pub async fn show(
        &mut self,
        message: &Incoming,
        target: &Target,
        ticket: Ticket,
    ) -> Result<Shown, NotifyError> {
        let info = self.connect().await?;
        let format = if info.reads_markup {
            BodyFormat::Markup
        } else {
            BodyFormat::Plain
        };
        let read_ack = info.actions;
        let request = Request::of(message, target, format, self.lang);
        let waiting = Waiting {
            message_id: message.id.clone(),
            ticket,
        };
        let earlier = self.acks.take_message(&message.id);
        let (service, _) = self.service.as_ref().expect("connected");
        match service.show(&request, waiting, &earlier).await {
            Ok(notification) => Ok(Shown {
                notification,
                read_ack,
            }),
            Err(e) => {
                // The next message starts afresh.
                self.service = None;
                Err(e)
            }
        }
    }

    /// Takes down the notification(s) showing message `id` (a recall) and
    /// forgets them: a click on one that is still on its way does nothing.
    /// Returns whether one was on screen, as far as the agent knows (one
    /// the user dismissed, or one the service let expire, is not; Windows
    /// also removes the toast from the Action Center either way).
    pub async fn close(&mut self, id: &MessageId) -> Result<bool, NotifyError> {
        let notifications = self.acks.take_message(id);
        if notifications.is_empty() && self.service.is_none() {
            return Ok(false);
        }
        self.connect().await?;
        let (service, _) = self.service.as_ref().expect("connected");
        if let Err(e) = service.close(id, &notifications).await {
            self.service = None;
            return Err(e);
        }
        for &notification in &notifications {
            tracing::info!(
                event = remote_message::Event::NotificationClosed.name(),
                message_id = id.as_str(),
                notification,
                "message {id} taken off the desktop (notification {notification})"
            );
        }
        Ok(!notifications.is_empty())
    }
}
