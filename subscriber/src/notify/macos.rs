//! Native notifications on macOS: the UserNotifications framework
//! (Notification Center), through the `objc2-user-notifications` bindings.
//!
//! The bundle. `UNUserNotificationCenter` aborts the process when the
//! process has no bundle identifier, as a bare command-line binary has not.
//! So the probe looks at `NSBundle.mainBundle.bundleIdentifier` before
//! anything else and reports [`NotifyError::Unavailable`] without one:
//! `--output auto` then falls back to the terminal, `--output desktop`
//! stops with `desktop_unavailable`. The agent therefore runs from the
//! application bundle `Remote Message.app` (`Contents/MacOS/subscriber`,
//! an `Info.plist` with a `CFBundleIdentifier`, signed for Notification
//! Center to list it), which `subscriber install` makes in `~/Applications`
//! and starts, and the installer package puts in `/Applications`
//! (`crate::autostart::app_bundle`); a binary run from elsewhere shows in
//! the terminal.
//!
//! Permission. The first connect asks for permission (alert and sound)
//! without waiting for the user's answer (the dialog may stay open for
//! long); where the user has refused, the probe says so
//! ([`NotifyError::NoService`]).
//!
//! The buttons. A notification's actions come from its category: one with
//! OK alone for a message that asks nothing, and one per list of answer
//! labels (the answers, `answer-1`…, then OK), registered with the center
//! the first time a message needs it ([`Apple::category`]; at most
//! [`MAX_CATEGORIES`] are kept). Every category asks to be told of
//! dismissals too. The user's click reaches the center's delegate, which
//! hands the ticket to the runner (an answer, OK, or a click on the
//! notification) or forgets the notification (dismissed). Delegate calls
//! come on a queue of the framework's choosing, not the agent's runtime;
//! the shared [`Acks`] is thread-safe for that.
//!
//! Replacing and removing. A notification's request identifier is the
//! agent's number for it: showing a message again first removes its
//! earlier notification from Notification Center, and a recall removes it
//! (`removeDeliveredNotificationsWithIdentifiers`).
//!
//! Priority becomes `interruptionLevel` (macOS 12 and later; older systems
//! show the notification without one), never `critical` (see
//! [`super::request::InterruptionLevel`]). Whether a notification stays on
//! screen is the user's choice of alert style for the app, not the app's.

use super::backend::{within, Acks, NotifyError, ServiceInfo, Waiting, PROBE_TIMEOUT};
use super::request::{Activation, Apple, Button, InterruptionLevel, Request};
use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::{Bool, NSObjectProtocol, ProtocolObject};
use objc2::{define_class, msg_send, sel, AllocAnyThread, DefinedClass};
use objc2_foundation::{NSArray, NSBundle, NSError, NSObject, NSSet, NSString};
use objc2_user_notifications::{
    UNAuthorizationOptions, UNAuthorizationStatus, UNMutableNotificationContent, UNNotification,
    UNNotificationAction, UNNotificationActionOptions, UNNotificationCategory,
    UNNotificationCategoryOptions, UNNotificationDefaultActionIdentifier,
    UNNotificationDismissActionIdentifier, UNNotificationInterruptionLevel,
    UNNotificationPresentationOptions, UNNotificationRequest, UNNotificationResponse,
    UNNotificationSettings, UNNotificationSound, UNUserNotificationCenter,
    UNUserNotificationCenterDelegate,
};
use remote_message::MessageId;
use remote_message_cli::lang::Lang;
use std::ptr::NonNull;
use std::sync::Mutex;
use tokio::sync::oneshot;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// The most categories registered with the center at once: past it, the
/// oldest goes (a notification of it still on screen then shows no buttons).
const MAX_CATEGORIES: usize = 64;

/// Notification Center, with this agent's delegate.
pub(super) struct Service {
    acks: Acks,
    /// The center holds its delegate weakly: this is the strong reference.
    _delegate: Retained<Delegate>,
    /// The categories registered with the center (identifier and actions),
    /// oldest first.
    categories: Mutex<Vec<(String, Vec<Button>)>>,
}

impl Service {
    pub(super) async fn connect(
        acks: Acks,
        _tasks: &TaskTracker,
        _lang: Lang,
    ) -> Result<(Service, ServiceInfo), NotifyError> {
        // Before anything touches the center: it aborts without a bundle id.
        let bundle = NSBundle::mainBundle().bundleIdentifier().ok_or_else(|| {
            NotifyError::Unavailable(
                "the agent does not run from an app bundle (no bundle identifier), which \
                 macOS notifications require"
                    .into(),
            )
        })?;
        let center = UNUserNotificationCenter::currentNotificationCenter();
        match within(PROBE_TIMEOUT, authorization(&center)).await?? {
            UNAuthorizationStatus::Denied => {
                return Err(NotifyError::NoService(
                    "notifications are turned off for this app in System Settings > \
                     Notifications"
                        .into(),
                ))
            }
            UNAuthorizationStatus::NotDetermined => ask_permission(&center),
            _ => {}
        }
        let delegate = Delegate::new(acks.clone());
        center.setDelegate(Some(ProtocolObject::from_ref(&*delegate)));
        let info = ServiceInfo {
            name: "macOS Notification Center".into(),
            vendor: format!("bundle {bundle}"),
            version: String::new(),
            actions: true,
            reads_markup: false,
        };
        let service = Service {
            acks,
            _delegate: delegate,
            categories: Mutex::default(),
        };
        Ok((service, info))
    }

    /// Shows `request` in place of the notifications `earlier` (the same
    /// message shown before); the answer is the agent's number for it
    /// (also its request identifier).
    pub(super) async fn show(
        &self,
        request: &Request,
        waiting: Waiting,
        earlier: &[u32],
    ) -> Result<u32, NotifyError> {
        remove_delivered(earlier);
        self.register(&request.apple);
        self.acks
            .show_numbered(waiting, |notification| add(request, notification))
            .await
    }

    /// Takes message `_id` down: removes its `notifications` from
    /// Notification Center (they are numbered by the agent, not by the id).
    pub(super) async fn close(
        &self,
        _id: &MessageId,
        notifications: &[u32],
    ) -> Result<(), NotifyError> {
        remove_delivered(notifications);
        Ok(())
    }

    /// Registers `look`'s category with the center, unless it is already.
    fn register(&self, look: &Apple) {
        let mut categories = self.categories.lock().expect("categories lock");
        if categories.iter().any(|(id, _)| *id == look.category) {
            return;
        }
        categories.push((look.category.clone(), look.actions.clone()));
        if categories.len() > MAX_CATEGORIES {
            categories.remove(0);
        }
        let all: Vec<Retained<UNNotificationCategory>> = categories
            .iter()
            .map(|(id, actions)| category(id, actions))
            .collect();
        UNUserNotificationCenter::currentNotificationCenter()
            .setNotificationCategories(&NSSet::from_retained_slice(&all));
    }
}

/// The category `id` with `actions` as its buttons, told of dismissals.
fn category(id: &str, actions: &[Button]) -> Retained<UNNotificationCategory> {
    let actions: Vec<Retained<UNNotificationAction>> = actions
        .iter()
        .map(|button| {
            UNNotificationAction::actionWithIdentifier_title_options(
                &NSString::from_str(&button.key),
                &NSString::from_str(&button.label),
                UNNotificationActionOptions::empty(),
            )
        })
        .collect();
    UNNotificationCategory::categoryWithIdentifier_actions_intentIdentifiers_options(
        &NSString::from_str(id),
        &NSArray::from_retained_slice(&actions),
        &NSArray::new(),
        UNNotificationCategoryOptions::CustomDismissAction,
    )
}

/// Removes the notifications numbered `notifications` from Notification
/// Center (those no longer there are no failure).
fn remove_delivered(notifications: &[u32]) {
    if notifications.is_empty() {
        return;
    }
    let identifiers: Vec<Retained<NSString>> = notifications
        .iter()
        .map(|n| NSString::from_str(&n.to_string()))
        .collect();
    UNUserNotificationCenter::currentNotificationCenter()
        .removeDeliveredNotificationsWithIdentifiers(&NSArray::from_retained_slice(&identifiers));
}

/// Adds the notification request for `request` to the center.
async fn add(request: &Request, notification: u32) -> Result<(), NotifyError> {
    let content = UNMutableNotificationContent::new();
    content.setTitle(&NSString::from_str(&request.title));
    content.setBody(&NSString::from_str(&request.body));
    content.setCategoryIdentifier(&NSString::from_str(&request.apple.category));
    if request.apple.sound {
        content.setSound(Some(&UNNotificationSound::defaultSound()));
    }
    // macOS 12 and later; before, the notification goes without.
    if content.respondsToSelector(sel!(setInterruptionLevel:)) {
        content.setInterruptionLevel(match request.apple.interruption {
            InterruptionLevel::Passive => UNNotificationInterruptionLevel::Passive,
            InterruptionLevel::Active => UNNotificationInterruptionLevel::Active,
            InterruptionLevel::TimeSensitive => UNNotificationInterruptionLevel::TimeSensitive,
        });
    }
    let request = UNNotificationRequest::requestWithIdentifier_content_trigger(
        &NSString::from_str(&notification.to_string()),
        &content,
        None,
    );
    let (tx, rx) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let done = RcBlock::new(move |error: *mut NSError| {
        let result = match NonNull::new(error) {
            None => Ok(()),
            // SAFETY: a non-null error the framework passes is a valid NSError.
            Some(error) => Err(described(unsafe { error.as_ref() })),
        };
        if let Some(tx) = tx.lock().expect("reply lock").take() {
            let _ = tx.send(result);
        }
    });
    UNUserNotificationCenter::currentNotificationCenter()
        .addNotificationRequest_withCompletionHandler(&request, Some(&done));
    rx.await
        .map_err(|_| NotifyError::NoService("Notification Center dropped the request".into()))?
        .map_err(|e| NotifyError::NoService(format!("the notification was not shown: {e}")))
}

/// Whether this app may show notifications, as the center's settings say.
async fn authorization(
    center: &UNUserNotificationCenter,
) -> Result<UNAuthorizationStatus, NotifyError> {
    let (tx, rx) = oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let answered = RcBlock::new(move |settings: NonNull<UNNotificationSettings>| {
        // SAFETY: the framework passes valid settings for the call's length.
        let status = unsafe { settings.as_ref() }.authorizationStatus();
        if let Some(tx) = tx.lock().expect("reply lock").take() {
            let _ = tx.send(status);
        }
    });
    center.getNotificationSettingsWithCompletionHandler(&answered);
    rx.await
        .map_err(|_| NotifyError::NoService("Notification Center gave no settings".into()))
}

/// Asks the user for permission; the answer is only logged (the dialog
/// may stay open while messages arrive).
fn ask_permission(center: &UNUserNotificationCenter) {
    let answered = RcBlock::new(|granted: Bool, error: *mut NSError| {
        if granted.as_bool() {
            info!("the user allowed notifications");
        } else if let Some(error) = NonNull::new(error) {
            // SAFETY: a non-null error the framework passes is a valid NSError.
            warn!(
                "notifications not allowed: {}",
                described(unsafe { error.as_ref() })
            );
        } else {
            warn!("the user did not allow notifications: messages will not show on the desktop");
        }
    });
    center.requestAuthorizationWithOptions_completionHandler(
        UNAuthorizationOptions::Alert | UNAuthorizationOptions::Sound,
        &answered,
    );
}

fn described(error: &NSError) -> String {
    error.localizedDescription().to_string()
}

define_class!(
    /// Told by the center what the user did with a notification.
    #[unsafe(super(NSObject))]
    #[name = "RemoteMessageNotificationDelegate"]
    #[ivars = Acks]
    struct Delegate;

    unsafe impl NSObjectProtocol for Delegate {}

    unsafe impl UNUserNotificationCenterDelegate for Delegate {
        /// OK, a click on the notification, or a dismissal.
        #[unsafe(method(userNotificationCenter:didReceiveNotificationResponse:withCompletionHandler:))]
        fn did_receive(
            &self,
            _center: &UNUserNotificationCenter,
            response: &UNNotificationResponse,
            done: &block2::DynBlock<dyn Fn()>,
        ) {
            self.respond(response);
            done.call(());
        }

        /// Shown as a banner even while the agent is the active app.
        #[unsafe(method(userNotificationCenter:willPresentNotification:withCompletionHandler:))]
        fn will_present(
            &self,
            _center: &UNUserNotificationCenter,
            _notification: &UNNotification,
            done: &block2::DynBlock<dyn Fn(UNNotificationPresentationOptions)>,
        ) {
            done.call((UNNotificationPresentationOptions::Banner
                | UNNotificationPresentationOptions::List
                | UNNotificationPresentationOptions::Sound,));
        }
    }
);

impl Delegate {
    fn new(acks: Acks) -> Retained<Delegate> {
        let this = Delegate::alloc().set_ivars(acks);
        // SAFETY: NSObject's init, on a freshly allocated object.
        unsafe { msg_send![super(this), init] }
    }

    fn respond(&self, response: &UNNotificationResponse) {
        let identifier = response.notification().request().identifier().to_string();
        let Ok(notification) = identifier.parse::<u32>() else {
            debug!("a response to a notification not ours ({identifier})");
            return;
        };
        let action = response.actionIdentifier();
        // SAFETY: the framework's constant strings, valid for the process.
        let (default, dismiss) = unsafe {
            (
                UNNotificationDefaultActionIdentifier,
                UNNotificationDismissActionIdentifier,
            )
        };
        let acks = self.ivars();
        if &*action == dismiss {
            acks.forget(notification);
        } else if &*action == default {
            acks.activated(notification, Activation::Body);
        } else {
            acks.activated(notification, Activation::Action(&action.to_string()));
        }
    }
}
