//! Messages as native desktop notifications: what the seed means by "displayed
//! as an alert or a notification on the screen of the session user".
//!
//! It speaks the freedesktop notification protocol
//! (`org.freedesktop.Notifications` on the session D-Bus), which GNOME, KDE,
//! Xfce, dunst, mako and others serve. One bus connection is kept; its signal
//! stream is open before the first notification is sent, so an OK clicked at
//! once is never missed. Where the server supports actions, each notification
//! carries an OK action: clicking it (or the notification itself) closes the
//! notification and hands a [`ReadTicket`] to the runner, which sends the
//! read receipt. A bus failure drops the connection; the next message
//! connects again.

use crate::agent::ReadTicket;
use remote_message::terminal::printable;
use remote_message::{Incoming, Priority, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};
use zbus::Variant;

/// The application name notifications carry.
pub const APP_NAME: &str = "remote-message";

/// How long connecting to the bus and asking the server who it is may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long one call to the notification server may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest text put in a notification; the JSON output and the --exec hook
/// always get all of it.
const BODY_MAX_CHARS: usize = 2_000;

/// How long a `high` notification stays, where the server lets the client say.
const HIGH_PRIORITY_TIMEOUT_MS: i32 = 30_000;

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

/// Action keys that acknowledge a message: the OK button, and a click on
/// the notification itself (the spec's default action).
const READ_ACTION: &str = "read";
const DEFAULT_ACTION: &str = "default";

/// Why the desktop could not show a message.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("no D-Bus session bus ({0})")]
    NoBus(String),
    /// No server owns the name, or it answered with an error.
    #[error("no notification service on the session bus, or it failed ({0})")]
    NoService(String),
    #[error("the notification service did not answer within {0:?}")]
    Timeout(Duration),
}

/// Who serves notifications, as its `GetServerInformation` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub vendor: String,
    pub version: String,
    /// Whether notifications can carry actions (the OK button).
    pub actions: bool,
    /// Whether the server reads the body as markup, so text must be escaped.
    pub reads_markup: bool,
}

impl std::fmt::Display for ServerInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.name, self.version, self.vendor)?;
        if !self.actions {
            f.write_str(", without actions: read receipts are not possible")?;
        }
        Ok(())
    }
}

/// A notification on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// The server's notification id.
    pub notification: u32,
    /// Whether clicking OK will send a read receipt.
    pub read_ack: bool,
}

/// The desktop as an output: a bus connection made on demand.
pub struct Desktop {
    bus: Option<Bus>,
    /// Where acknowledged messages go (the runner sends the read receipts).
    acks: mpsc::UnboundedSender<ReadTicket>,
    /// The agent's tasks: the click listener is one of them.
    tasks: TaskTracker,
}

impl Desktop {
    /// A desktop output that connects on the first [`Desktop::connect`] or message.
    pub fn new(acks: mpsc::UnboundedSender<ReadTicket>, tasks: TaskTracker) -> Desktop {
        Desktop {
            bus: None,
            acks,
            tasks,
        }
    }

    /// Connects (if not connected) and says who serves notifications.
    pub async fn connect(&mut self) -> Result<&ServerInfo, DesktopError> {
        if self.bus.is_none() {
            self.bus = Some(Bus::connect(self.acks.clone(), &self.tasks).await?);
        }
        Ok(&self.bus.as_ref().expect("just connected").server)
    }

    /// Shows `message` as a notification. `ticket` is set when a sender
    /// waits for receipts: clicking OK then sends it back as read.
    pub async fn show(
        &mut self,
        message: &Incoming,
        target: &Target,
        ticket: Option<ReadTicket>,
    ) -> Result<Shown, DesktopError> {
        self.connect().await?;
        let bus = self.bus.as_ref().expect("connected");
        let result = bus.notify(message, target, ticket).await;
        if result.is_err() {
            // The next message starts from a fresh connection.
            self.bus = None;
        }
        result
    }
}

/// Notifications shown with an OK action, until acknowledged or closed.
type Pending = Arc<Mutex<HashMap<u32, Acknowledgeable>>>;

struct Acknowledgeable {
    message_id: String,
    ticket: Option<ReadTicket>,
}

/// One connection to the session bus and the server behind it.
struct Bus {
    service: NotificationsProxy<'static>,
    server: ServerInfo,
    pending: Pending,
    /// Turns the server's signals into read acknowledgements.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Bus {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Bus {
    async fn connect(
        acks: mpsc::UnboundedSender<ReadTicket>,
        tasks: &TaskTracker,
    ) -> Result<Bus, DesktopError> {
        let connection = within(PROBE_TIMEOUT, zbus::Connection::session())
            .await?
            .map_err(|e| DesktopError::NoBus(e.to_string()))?;
        let service = within(PROBE_TIMEOUT, NotificationsProxy::new(&connection))
            .await?
            .map_err(|e| DesktopError::NoBus(e.to_string()))?;
        let (name, vendor, version, _spec) = answer(
            "GetServerInformation",
            within(PROBE_TIMEOUT, service.get_server_information()).await?,
        )?;
        let capabilities = answer(
            "GetCapabilities",
            within(PROBE_TIMEOUT, service.get_capabilities()).await?,
        )?;
        // Listen before anything is shown, so no click can be missed.
        let signals = within(PROBE_TIMEOUT, Signal::open(&service))
            .await?
            .map_err(|e| DesktopError::NoBus(e.to_string()))?;
        let has = |cap: &str| capabilities.iter().any(|c| c == cap);
        // dunst, for one, advertises body-markup with `markup = full`, the
        // setting its shipped dunstrc has.
        let reads_markup = has("body-markup");
        let server = ServerInfo {
            name,
            vendor,
            version,
            actions: has("actions"),
            reads_markup,
        };
        let pending = Pending::default();
        let listener = tasks.spawn(listen(signals, service.clone(), pending.clone(), acks));
        Ok(Bus {
            service,
            server,
            pending,
            listener,
        })
    }

    async fn notify(
        &self,
        message: &Incoming,
        target: &Target,
        ticket: Option<ReadTicket>,
    ) -> Result<Shown, DesktopError> {
        let look = Look::of(message, target, &self.server);
        let actions: &[&str] = if self.server.actions {
            &[READ_ACTION, "OK", DEFAULT_ACTION, "Mark as read"]
        } else {
            &[]
        };
        let hints = HashMap::from([("urgency", Variant::U8(look.urgency))]);
        let read_ack = self.server.actions && ticket.is_some();
        let sent = self.service.notify(
            APP_NAME,
            0,  // replaces no earlier notification
            "", // no icon
            &look.summary,
            &look.body,
            actions,
            hints,
            look.expire_timeout_ms,
        );
        let notification = answer("Notify", within(CALL_TIMEOUT, sent).await?)?;
        // Registered as soon as the server names it: nobody can click a
        // notification before the server has answered with its id.
        if self.server.actions {
            self.pending.lock().expect("pending lock").insert(
                notification,
                Acknowledgeable {
                    message_id: message.id.clone(),
                    ticket,
                },
            );
        }
        Ok(Shown {
            notification,
            read_ack,
        })
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
    async fn open(service: &NotificationsProxy<'static>) -> zbus::Result<Signals> {
        use futures::StreamExt;
        let actions = service.receive_action_invoked().await?;
        let closed = service.receive_notification_closed().await?;
        Ok(futures::stream::select(
            actions.map(Signal::Action as fn(ActionInvoked) -> Signal),
            closed.map(Signal::Closed as fn(NotificationClosed) -> Signal),
        ))
    }
}

/// What a message looks like as a notification.
#[derive(Debug, PartialEq, Eq)]
struct Look {
    summary: String,
    body: String,
    /// Freedesktop urgency: 0 low, 1 normal, 2 critical.
    urgency: u8,
    /// -1: the server decides; 0: never expires.
    expire_timeout_ms: i32,
}

impl Look {
    fn of(message: &Incoming, target: &Target, server: &ServerInfo) -> Look {
        let summary = match (&message.title, &message.sender) {
            (Some(title), _) => title.clone(),
            (None, Some(sender)) => format!("Message from {sender}"),
            (None, None) => match target {
                Target::Broadcast => "Message for everyone".to_owned(),
                Target::Session(_) => "Message for you".to_owned(),
            },
        };
        let mut body = printable(&message.text, BODY_MAX_CHARS);
        if server.reads_markup {
            body = escape_markup(&body);
        }
        let (urgency, expire_timeout_ms) = match message.priority {
            Priority::Low => (0, -1),
            Priority::Normal => (1, -1),
            Priority::High => (2, HIGH_PRIORITY_TIMEOUT_MS),
            Priority::Urgent => (2, 0),
        };
        Look {
            summary: printable(&summary, 200),
            body,
            urgency,
            expire_timeout_ms,
        }
    }
}

/// Text as it must be sent to a server that reads the body as markup.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Hands every acknowledged notification's ticket to the runner, and
/// forgets notifications once closed.
async fn listen(
    mut signals: Signals,
    service: NotificationsProxy<'static>,
    pending: Pending,
    acks: mpsc::UnboundedSender<ReadTicket>,
) {
    use futures::StreamExt;
    while let Some(signal) = signals.next().await {
        match signal {
            Signal::Action(signal) => {
                let Ok(args) = signal.args() else { continue };
                let notification = args.notification;
                if !acknowledges(&args.action_key) {
                    continue;
                }
                let acked = pending.lock().expect("pending lock").remove(&notification);
                let Some(acked) = acked else { continue };
                info!(
                    event = "acknowledged",
                    notification,
                    "message {} acknowledged on the desktop (notification {notification})",
                    acked.message_id
                );
                if let Some(ticket) = acked.ticket {
                    let _ = acks.send(ticket);
                }
                // The server may keep it on screen after an action: OK closes it.
                let closing = within(CALL_TIMEOUT, service.close_notification(notification)).await;
                if let Err(e) = closing.and_then(|r| answer("CloseNotification", r)) {
                    debug!("closing notification {notification}: {e}");
                }
            }
            Signal::Closed(signal) => {
                if let Ok(args) = signal.args() {
                    pending
                        .lock()
                        .expect("pending lock")
                        .remove(&args.notification);
                }
            }
        }
    }
    warn!("the desktop notification service went away; the next message reconnects");
}

/// Whether an action key the server reports is the OK button or a click
/// on the notification.
fn acknowledges(action: &str) -> bool {
    action == READ_ACTION || action == DEFAULT_ACTION
}

/// The server's answer to `method`, its failure said as a [`DesktopError`].
fn answer<R>(method: &str, reply: zbus::Result<R>) -> Result<R, DesktopError> {
    reply.map_err(|e| match e {
        // The server answered, but not with what the specification says.
        zbus::Error::SignatureMismatch(..)
        | zbus::Error::IncorrectType
        | zbus::Error::InvalidReply
        | zbus::Error::Failure(_) => {
            DesktopError::NoService(format!("unexpected answer to {method}: {e}"))
        }
        e => DesktopError::NoService(e.to_string()),
    })
}

async fn within<F: std::future::Future>(limit: Duration, f: F) -> Result<F::Output, DesktopError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| DesktopError::Timeout(limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::envelope::Format;

    fn server(reads_markup: bool) -> ServerInfo {
        ServerInfo {
            name: "dunst".into(),
            vendor: "knopwob".into(),
            version: "1.9.0".into(),
            actions: true,
            reads_markup,
        }
    }

    fn message(title: Option<&str>, sender: Option<&str>, priority: Priority) -> Incoming {
        Incoming {
            id: "m1".into(),
            text: "Restart at 10pm <b>&</b>".into(),
            title: title.map(Into::into),
            sent_at: None,
            sender: sender.map(Into::into),
            expires_at: None,
            priority,
            signer: None,
            sig: None,
            format: Format::Json,
        }
    }

    /// The notification's summary is the title; without one, who sent it;
    /// without that, whom it is for.
    #[test]
    fn summary_is_the_title_else_who_sent_it() {
        let look = |title, sender| {
            Look::of(
                &message(title, sender, Priority::Normal),
                &Target::Broadcast,
                &server(false),
            )
            .summary
        };
        assert_eq!(look(Some("Maintenance"), Some("ops@srv")), "Maintenance");
        assert_eq!(look(None, Some("ops@srv")), "Message from ops@srv");
        assert_eq!(look(None, None), "Message for everyone");
    }

    /// low/normal/high/urgent map to freedesktop urgencies; high stays
    /// 30 s, urgent until dismissed.
    #[test]
    fn priorities_map_to_urgency_and_urgent_never_expires() {
        let look = |p| Look::of(&message(None, None, p), &Target::Broadcast, &server(false));
        let got: Vec<(u8, i32)> = [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ]
        .into_iter()
        .map(|p| {
            let l = look(p);
            (l.urgency, l.expire_timeout_ms)
        })
        .collect();
        assert_eq!(
            got,
            [(0, -1), (1, -1), (2, HIGH_PRIORITY_TIMEOUT_MS), (2, 0)]
        );
    }

    /// `<`, `>` and `&` are escaped for a server that reads markup, and
    /// left alone for one that does not.
    #[test]
    fn body_is_escaped_only_for_servers_that_read_markup() {
        let m = message(None, None, Priority::Normal);
        assert_eq!(
            Look::of(&m, &Target::Broadcast, &server(false)).body,
            m.text
        );
        assert_eq!(
            Look::of(&m, &Target::Broadcast, &server(true)).body,
            "Restart at 10pm &lt;b&gt;&amp;&lt;/b&gt;"
        );
    }

    /// The OK button and a click on the notification acknowledge it; any
    /// other action key (a server's own buttons) does not.
    #[test]
    fn only_ok_and_a_click_acknowledge() {
        assert!(acknowledges(READ_ACTION));
        assert!(acknowledges(DEFAULT_ACTION));
        assert!(!acknowledges("dismiss"));
        assert!(!acknowledges(""));
    }

    /// A server that answers with the wrong types is named with the method
    /// it got wrong; a server that is not there is said as such.
    #[test]
    fn failed_calls_say_what_went_wrong() {
        let wrong = answer::<u32>("Notify", Err(zbus::Error::IncorrectType)).unwrap_err();
        assert!(
            matches!(&wrong, DesktopError::NoService(m) if m.starts_with("unexpected answer to Notify: ")),
            "{wrong}"
        );
        let absent = answer::<u32>(
            "GetServerInformation",
            Err(zbus::fdo::Error::ServiceUnknown("no owner".into()).into()),
        )
        .unwrap_err();
        assert!(
            matches!(&absent, DesktopError::NoService(m) if m.contains("no owner")),
            "{absent}"
        );
        assert_eq!(answer("Notify", Ok(7u32)).unwrap(), 7);
    }
}
