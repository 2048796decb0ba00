//! Native notifications on Linux (and other unix desktops but macOS): the
//! freedesktop notification protocol (`org.freedesktop.Notifications` on the
//! session D-Bus), which GNOME, KDE, Xfce, dunst, mako and others serve.
//!
//! A hand-written zbus client, kept over notify-rust because it does what
//! this agent needs and notify-rust does not: the capability probe that
//! `--output auto` decides on (`GetCapabilities`, `GetServerInformation`,
//! bounded in time), the server's name for the `output` log line, and the
//! `ActionInvoked`/`NotificationClosed` signals followed on the agent's own
//! tokio runtime (notify-rust waits for an action by blocking a thread per
//! notification).
//!
//! One bus connection is kept; its signal stream is open before the first
//! notification is sent, so an OK clicked at once is never missed. Where the
//! server supports actions, each notification carries the message's answers
//! (keys `answer-1`…, the label as the text shown), then OK (`read`) and a
//! click on it (`default`): clicking one closes the notification and hands
//! an [`Acted`](crate::delivery::Acted) to the runner. A message shown again
//! replaces its notification (`replaces_id`); a recall closes it
//! (`CloseNotification`). A bus failure drops the connection; the next
//! message connects again.

use super::backend::{
    within, Acks, NotifyError, ServiceInfo, Waiting, APP_NAME, CALL_TIMEOUT, PROBE_TIMEOUT,
};
use super::request::{Activation, Request};
use remote_message::MessageId;
use remote_message_cli::lang::Lang;
use std::collections::HashMap;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};
use zbus::Variant;

/// The freedesktop notification service, as the methods and signals this
/// file uses (Desktop Notifications Specification 1.2). zbus writes the
/// calls from these signatures, so a method name or an argument type is
/// stated once, here.
#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    /// Shows a notification; the answer is its id.
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Variant<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn close_notification(&self, notification: u32) -> zbus::Result<()>;

    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;

    /// Name, vendor, version and spec version.
    fn get_server_information(&self) -> zbus::Result<(String, String, String, String)>;

    #[zbus(signal)]
    fn action_invoked(&self, notification: u32, action_key: String) -> zbus::Result<()>;

    #[zbus(signal)]
    fn notification_closed(&self, notification: u32, reason: u32) -> zbus::Result<()>;
}

/// One connection to the session bus and the server behind it.
pub(super) struct Service {
    proxy: NotificationsProxy<'static>,
    /// Whether the server has actions (the OK button).
    actions: bool,
    acks: Acks,
    /// Turns the server's signals into read acknowledgements.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Service {
    pub(super) async fn connect(
        acks: Acks,
        tasks: &TaskTracker,
        _lang: Lang,
    ) -> Result<(Service, ServiceInfo), NotifyError> {
        let connection = within(PROBE_TIMEOUT, zbus::Connection::session())
            .await?
            .map_err(|e| NotifyError::NoBus(e.to_string()))?;
        let proxy = within(PROBE_TIMEOUT, NotificationsProxy::new(&connection))
            .await?
            .map_err(|e| NotifyError::NoBus(e.to_string()))?;
        let (name, vendor, version, _spec) = answer(
            "GetServerInformation",
            within(PROBE_TIMEOUT, proxy.get_server_information()).await?,
        )?;
        let capabilities = answer(
            "GetCapabilities",
            within(PROBE_TIMEOUT, proxy.get_capabilities()).await?,
        )?;
        // Listen before anything is shown, so no click can be missed.
        let signals = within(PROBE_TIMEOUT, Signal::open(&proxy))
            .await?
            .map_err(|e| NotifyError::NoBus(e.to_string()))?;
        let has = |cap: &str| capabilities.iter().any(|c| c == cap);
        let info = ServiceInfo {
            name,
            vendor,
            version,
            actions: has("actions"),
            // dunst, for one, advertises body-markup with `markup = full`,
            // the setting its shipped dunstrc has.
            reads_markup: has("body-markup"),
        };
        let listener = tasks.spawn(listen(signals, proxy.clone(), acks.clone()));
        let service = Service {
            proxy,
            actions: info.actions,
            acks,
            listener,
        };
        Ok((service, info))
    }

    /// Shows `request` in place of notification `earlier` (the same
    /// message shown before, if still on screen); the answer is the
    /// server's notification id.
    pub(super) async fn show(
        &self,
        request: &Request,
        waiting: Waiting,
        earlier: &[u32],
    ) -> Result<u32, NotifyError> {
        let look = &request.freedesktop;
        let labelled: Vec<&str> = look
            .actions
            .iter()
            .flat_map(|action| [action.key.as_str(), action.label.as_str()])
            .collect();
        let actions: &[&str] = if self.actions { &labelled } else { &[] };
        let hints = HashMap::from([("urgency", Variant::U8(look.urgency))]);
        // 0: replaces nothing. More than one earlier is not expected (each
        // show replaces the last): the others are closed.
        let (replaces, others) = earlier.split_first().unwrap_or((&0, &[]));
        self.close_each(others).await?;
        let sent = self.proxy.notify(
            APP_NAME,
            *replaces,
            "", // no icon
            &request.title,
            &request.body,
            actions,
            hints,
            look.expire_timeout_ms,
        );
        let notification = answer("Notify", within(CALL_TIMEOUT, sent).await?)?;
        // Registered as soon as the server names it: nobody can click a
        // notification before the server has answered with its id. Kept
        // without actions too, to replace or close it.
        self.acks.expect(notification, waiting);
        Ok(notification)
    }

    /// Takes message `_id` down: closes its `notifications` (the server
    /// numbers them; the id is for the services that do not).
    pub(super) async fn close(
        &self,
        _id: &MessageId,
        notifications: &[u32],
    ) -> Result<(), NotifyError> {
        self.close_each(notifications).await
    }

    /// Asks the server to close each of `notifications`. One already gone
    /// is no failure: the server answers that with an error (as the
    /// specification says), which is only logged.
    async fn close_each(&self, notifications: &[u32]) -> Result<(), NotifyError> {
        for &notification in notifications {
            match within(CALL_TIMEOUT, self.proxy.close_notification(notification)).await? {
                Ok(()) => {}
                Err(e @ zbus::Error::MethodError(..)) => {
                    debug!("closing notification {notification}: {e}");
                }
                Err(e) => answer("CloseNotification", Err(e))?,
            }
        }
        Ok(())
    }
}

/// The two signals the agent follows, as one stream.
type Signals = futures::stream::Select<
    futures::stream::Map<ActionInvokedStream, fn(ActionInvoked) -> Signal>,
    futures::stream::Map<NotificationClosedStream, fn(NotificationClosed) -> Signal>,
>;

/// One signal of the notification server.
enum Signal {
    Action(ActionInvoked),
    Closed(NotificationClosed),
}

impl Signal {
    /// Subscribes to both signals (the bus has the match rules on return).
    async fn open(proxy: &NotificationsProxy<'static>) -> zbus::Result<Signals> {
        use futures::StreamExt;
        let actions = proxy.receive_action_invoked().await?;
        let closed = proxy.receive_notification_closed().await?;
        Ok(futures::stream::select(
            actions.map(Signal::Action as fn(ActionInvoked) -> Signal),
            closed.map(Signal::Closed as fn(NotificationClosed) -> Signal),
        ))
    }
}

/// Hands every acknowledged notification's ticket to the runner, and
/// forgets notifications once closed.
async fn listen(mut signals: Signals, proxy: NotificationsProxy<'static>, acks: Acks) {
    use futures::StreamExt;
    while let Some(signal) = signals.next().await {
        match signal {
            Signal::Action(signal) => {
                let Ok(args) = signal.args() else { continue };
                let notification = args.notification;
                if !acks.activated(notification, Activation::Action(&args.action_key)) {
                    continue;
                }
                // The server may keep it on screen after an action: OK closes it.
                let closing = within(CALL_TIMEOUT, proxy.close_notification(notification)).await;
                if let Err(e) = closing.and_then(|r| answer("CloseNotification", r)) {
                    debug!("closing notification {notification}: {e}");
                }
            }
            Signal::Closed(signal) => {
                if let Ok(args) = signal.args() {
                    acks.forget(args.notification);
                }
            }
        }
    }
    warn!("the desktop notification service went away; the next message reconnects");
}

/// The server's answer to `method`, its failure said as a [`NotifyError`].
fn answer<R>(method: &str, reply: zbus::Result<R>) -> Result<R, NotifyError> {
    reply.map_err(|e| match e {
        // The server answered, but not with what the specification says.
        zbus::Error::SignatureMismatch(..)
        | zbus::Error::IncorrectType
        | zbus::Error::InvalidReply
        | zbus::Error::Failure(_) => {
            NotifyError::NoService(format!("unexpected answer to {method}: {e}"))
        }
        e => NotifyError::NoService(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that answers with the wrong types is named with the method
    /// it got wrong; a server that is not there is said as such.
    #[test]
    fn failed_calls_say_what_went_wrong() {
        let wrong = answer::<u32>("Notify", Err(zbus::Error::IncorrectType)).unwrap_err();
        assert!(
            matches!(&wrong, NotifyError::NoService(m) if m.starts_with("unexpected answer to Notify: ")),
            "{wrong}"
        );
        let absent = answer::<u32>(
            "GetServerInformation",
            Err(zbus::fdo::Error::ServiceUnknown("no owner".into()).into()),
        )
        .unwrap_err();
        assert!(
            matches!(&absent, NotifyError::NoService(m) if m.contains("no owner")),
            "{absent}"
        );
        assert!(!absent.is_permanent());
        assert_eq!(answer("Notify", Ok(7u32)).unwrap(), 7);
    }
}
