//! What the notifier and its OS backends share: why showing failed
//! ([`NotifyError`]), who serves notifications ([`ServiceInfo`]), the
//! notifications on screen, waiting for an OK or an answer, and where their
//! tickets go ([`Acks`]), and the time bounds on the service. A backend uses this file, never the
//! notifier (`mod.rs`) that uses it.

use super::request::{self, Activation, Choice};
use crate::delivery::{Acted, Ticket, UserAction};
use remote_message::ledger::AnsweredVia;
use remote_message::MessageId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::info;

/// The application name notifications carry (and show under, where the
/// service shows one).
pub const APP_NAME: &str = "remote-message";

/// How long finding the notification service (and asking it who it is)
/// may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long showing one notification may take.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a message could not be shown as a native notification.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// This machine or process cannot show native notifications at all
    /// (no toast service, no app bundle): trying again will not help.
    #[error("native notifications are unavailable: {0}")]
    Unavailable(String),
    #[error("no D-Bus session bus ({0})")]
    NoBus(String),
    /// No service answers, it answered with an error, or it is turned off.
    #[error("no notification service, or it failed ({0})")]
    NoService(String),
    #[error("the notification service did not answer within {0:?}")]
    Timeout(Duration),
}

impl NotifyError {
    /// Whether the failure lasts as long as the process: `--output desktop`
    /// cannot work then, and `auto` should not try again.
    pub fn is_permanent(&self) -> bool {
        matches!(self, NotifyError::Unavailable(_))
    }
}

/// Who serves notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    pub name: String,
    pub vendor: String,
    /// Empty where the service does not say.
    pub version: String,
    /// Whether notifications can carry actions (the OK button).
    pub actions: bool,
    /// Whether the service reads the body as markup, so text must be escaped.
    pub reads_markup: bool,
}

impl std::fmt::Display for ServiceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.version.is_empty() {
            write!(f, " {}", self.version)?;
        }
        write!(f, " ({})", self.vendor)?;
        if !self.actions {
            f.write_str(", without actions: read receipts are not possible")?;
        }
        Ok(())
    }
}

/// A message on screen, until acknowledged, answered or closed.
pub(super) struct Waiting {
    pub(super) message_id: MessageId,
    pub(super) ticket: Ticket,
}

/// The notifications on screen, which may still be acknowledged or
/// answered, and where their tickets go: shared by a backend and its click
/// listener.
#[derive(Clone)]
pub(super) struct Acks {
    pub(super) to_runner: mpsc::UnboundedSender<Acted>,
    pub(super) pending: Arc<Mutex<HashMap<u32, Waiting>>>,
    /// The number the next notification gets, where the service gives no
    /// id back (Windows, macOS).
    /// (The freedesktop server numbers its own: unused on Linux.)
    #[cfg_attr(all(unix, not(target_os = "macos")), allow(dead_code))]
    pub(super) next: Arc<AtomicU32>,
}

impl Acks {
    /// Notification `notification` shows `waiting`'s message.
    pub(super) fn expect(&self, notification: u32, waiting: Waiting) {
        self.lock().insert(notification, waiting);
    }

    /// The user did `activation` to `notification`: if that reads or
    /// answers a message still waiting, logs it and hands its ticket to the
    /// runner, with the answer's label exactly as offered; the notification
    /// is then done. Returns whether it did.
    pub(super) fn activated(&self, notification: u32, activation: Activation<'_>) -> bool {
        let Some(choice) = request::choice(activation) else {
            return false;
        };
        let mut pending = self.lock();
        let Some(waiting) = pending.get(&notification) else {
            return false;
        };
        let action = match choice {
            Choice::Read => UserAction::Read,
            Choice::Answer(index) => match waiting.ticket.answers().labels().get(index) {
                Some(label) => UserAction::Answer(label.clone()),
                // A key this message never offered.
                None => return false,
            },
        };
        let Some(done) = pending.remove(&notification) else {
            return false;
        };
        drop(pending);
        match &action {
            UserAction::Read => info!(
                event = remote_message::Event::Acknowledged.name(),
                notification,
                "message {} acknowledged on the desktop (notification {notification})",
                done.message_id
            ),
            UserAction::Answer(label) => info!(
                event = remote_message::Event::AnswerClicked.name(),
                notification,
                message_id = done.message_id.as_str(),
                answer = label.as_str(),
                "message {} answered {label:?} on the desktop (notification {notification})",
                done.message_id
            ),
        }
        let _ = self.to_runner.send(Acted {
            ticket: done.ticket,
            action,
            via: AnsweredVia::Desktop,
        });
        true
    }

    /// Forgets every notification showing message `id` (so no click on it
    /// counts any more) and returns their numbers, lowest first: those to
    /// take down or replace.
    pub(super) fn take_message(&self, id: &MessageId) -> Vec<u32> {
        let mut pending = self.lock();
        let mut taken: Vec<u32> = pending
            .iter()
            .filter(|(_, waiting)| &waiting.message_id == id)
            .map(|(notification, _)| *notification)
            .collect();
        taken.sort_unstable();
        for notification in &taken {
            pending.remove(notification);
        }
        taken
    }

    /// Shows a notification on a service that gives no id back: numbers
    /// it, registers it as waiting before `show` runs (so no click can come
    /// first), and forgets it if showing fails. The answer is its number.
    #[cfg_attr(all(unix, not(target_os = "macos")), allow(dead_code))]
    pub(super) async fn show_numbered<F>(
        &self,
        waiting: Waiting,
        show: impl FnOnce(u32) -> F,
    ) -> Result<u32, NotifyError>
    where
        F: std::future::Future<Output = Result<(), NotifyError>>,
    {
        let notification = self.next.fetch_add(1, Ordering::Relaxed);
        self.expect(notification, waiting);
        let shown = within(CALL_TIMEOUT, show(notification)).await;
        match shown {
            Ok(Ok(())) => Ok(notification),
            Ok(Err(e)) | Err(e) => {
                self.forget(notification);
                Err(e)
            }
        }
    }

    /// `notification` is gone (closed, expired, never shown).
    pub(super) fn forget(&self, notification: u32) {
        self.lock().remove(&notification);
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Waiting>> {
        self.pending.lock().expect("pending lock")
    }
}

/// `f`, or [`NotifyError::Timeout`] after `limit`.
pub(super) async fn within<F: std::future::Future>(
    limit: Duration,
    f: F,
) -> Result<F::Output, NotifyError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| NotifyError::Timeout(limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use request::READ_ACTION;

    /// A ticket for message `id`, as the runner would hand it over.
    fn ticket(id: &str) -> Ticket {
        asking(id, &[])
    }

    /// A ticket for message `id` offering `answers`.
    fn asking(id: &str, answers: &[&str]) -> Ticket {
        let delivery = crate::delivery::Delivery {
            message: remote_message::Incoming {
                id: id.into(),
                text: "hello".into(),
                format: remote_message::envelope::Format::Json,
                answers: remote_message::Answers::parse(answers).unwrap(),
                ..Default::default()
            },
            target: remote_message::Target::Broadcast,
            receipt_to: Some("_INBOX.x".into()),
        };
        delivery.ticket()
    }

    /// An OK on a waiting notification hands its ticket to the runner,
    /// once; a second click, a click on a forgotten notification, or
    /// another button hands nothing.
    #[test]
    fn ok_acknowledges_a_waiting_notification_once() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let acks = Acks {
            to_runner: tx,
            pending: Arc::default(),
            next: Arc::default(),
        };
        for (notification, id) in [(1, "m1"), (2, "m2")] {
            let waiting = Waiting {
                message_id: id.into(),
                ticket: ticket(id),
            };
            acks.expect(notification, waiting);
        }
        assert!(!acks.activated(1, Activation::Action("dismiss")));
        assert!(rx.try_recv().is_err());
        assert!(acks.activated(1, Activation::Action(READ_ACTION)));
        let acted = rx.try_recv().unwrap();
        assert_eq!(
            (acted.ticket, acted.action),
            (ticket("m1"), UserAction::Read)
        );
        assert!(!acks.activated(1, Activation::Action(READ_ACTION)));
        acks.forget(2);
        assert!(!acks.activated(2, Activation::Body));
        assert!(rx.try_recv().is_err());
    }

    /// Acks with nothing on screen yet, and what they hand the runner.
    fn acks() -> (Acks, mpsc::UnboundedReceiver<Acted>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let acks = Acks {
            to_runner: tx,
            pending: Arc::default(),
            next: Arc::new(AtomicU32::new(1)),
        };
        (acks, rx)
    }

    /// An answer button hands the runner its label exactly as offered, once:
    /// the notification is then done, so neither a second answer nor OK
    /// counts; a key the message never offered (`answer-3` of two answers)
    /// hands nothing and leaves it waiting.
    #[test]
    fn an_answer_click_hands_its_label_once() {
        let (acks, mut rx) = acks();
        let offered = ["Restart now", "In 1 hour"];
        let waiting = Waiting {
            message_id: "m1".into(),
            ticket: asking("m1", &offered),
        };
        acks.expect(7, waiting);
        assert!(!acks.activated(7, Activation::Action("answer-3")));
        assert!(rx.try_recv().is_err());
        assert!(acks.activated(7, Activation::Action("answer-2")));
        let acted = rx.try_recv().unwrap();
        assert_eq!(acted.ticket, asking("m1", &offered));
        assert_eq!(acted.action, UserAction::Answer("In 1 hour".into()));
        assert_eq!(acted.via, AnsweredVia::Desktop);
        assert!(!acks.activated(7, Activation::Action("answer-1")));
        assert!(!acks.activated(7, Activation::Action(READ_ACTION)));
        assert!(rx.try_recv().is_err());
    }

    /// Taking a message down forgets every notification showing it (a
    /// later click on one hands nothing) and names them, lowest first;
    /// other messages stay; a message not on screen names none.
    #[test]
    fn taking_a_message_forgets_its_notifications() {
        let (acks, mut rx) = acks();
        for (notification, id) in [(4, "m1"), (2, "m1"), (3, "m2")] {
            let waiting = Waiting {
                message_id: id.into(),
                ticket: ticket(id),
            };
            acks.expect(notification, waiting);
        }
        assert_eq!(acks.take_message(&"m1".into()), [2, 4]);
        assert_eq!(acks.take_message(&"m1".into()), Vec::<u32>::new());
        assert!(!acks.activated(2, Activation::Body));
        assert!(!acks.activated(4, Activation::Action(READ_ACTION)));
        assert!(rx.try_recv().is_err());
        assert!(acks.activated(3, Activation::Body));
        assert_eq!(rx.try_recv().unwrap().ticket, ticket("m2"));
    }

    /// A service that gives no id back gets numbers 1, 2, …; a
    /// notification that failed to show is no longer waiting, one shown is.
    #[tokio::test]
    async fn numbered_notifications_are_forgotten_when_showing_fails() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let acks = Acks {
            to_runner: tx,
            pending: Arc::default(),
            next: Arc::new(AtomicU32::new(1)),
        };
        let waiting = |id: &str| Waiting {
            message_id: id.into(),
            ticket: ticket(id),
        };
        let failed = acks
            .show_numbered(waiting("m1"), |_| async {
                Err(NotifyError::NoService("down".into()))
            })
            .await;
        assert!(matches!(failed, Err(NotifyError::NoService(_))));
        let shown = acks
            .show_numbered(waiting("m2"), |_| async { Ok(()) })
            .await;
        assert_eq!(shown.unwrap(), 2);
        assert!(!acks.activated(1, Activation::Body));
        assert!(acks.activated(2, Activation::Body));
    }

    /// The log line says who serves notifications, without an empty
    /// version, and warns when OK cannot send a receipt.
    #[test]
    fn service_info_reads_well() {
        let mut info = ServiceInfo {
            name: "dunst".into(),
            vendor: "knopwob".into(),
            version: "1.9.0".into(),
            actions: true,
            reads_markup: false,
        };
        assert_eq!(info.to_string(), "dunst 1.9.0 (knopwob)");
        info.version.clear();
        info.actions = false;
        assert_eq!(
            info.to_string(),
            "dunst (knopwob), without actions: read receipts are not possible"
        );
    }
}
