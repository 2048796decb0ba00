//! Native notifications on Windows: WinRT toast notifications, through the
//! `windows` crate: the toast's XML is decided in [`Request::toast_xml`]
//! (title, text, the answer and OK buttons, scenario, duration, sound);
//! this file shows it under a tag and group, follows its clicks, removes it
//! from the Action Center, and probes the service. (Not through a toast
//! crate such as `tauri-winrt-notification`: it cannot tag a toast, and an
//! untagged toast cannot be removed once shown.)
//!
//! The app id. A toast shows under an AppUserModelID (AUMID). A packaged
//! app has one; this agent is a plain .exe, so it registers its own,
//! [`APP_ID`], per user: the key `HKCU\Software\Classes\AppUserModelId\`
//! [`APP_ID`] with `DisplayName` = [`APP_NAME`], which is the
//! name Windows shows on the toast and in Settings > Notifications. It is
//! written (again) on every connect: creating the key and setting the value
//! is idempotent, needs no administrator, and a user who deleted it gets it
//! back at the next start. Nothing else is registered (no Start menu
//! shortcut, no COM activator).
//!
//! The buttons. Clicking an answer (`answer-1`…), OK (`read`) or the toast
//! itself while the agent runs raises the toast's `Activated` event in this
//! process with the button's `arguments`, which hands the ticket to the
//! runner like the freedesktop action does. Without a COM activator, a
//! click on a toast left in the Action Center after the agent stopped
//! starts nothing and sends no receipt.
//!
//! Replacing and removing. Every toast of message M has the tag
//! [`toast_tag`]`(M)` in the group [`TOAST_GROUP`]: showing M again
//! replaces its toast, and a recall removes it from the screen and the
//! Action Center (`ToastNotificationHistory.RemoveGroupedTagWithId`).
//!
//! The probe. `auto` and `desktop` ask the WinRT toast service for a
//! notifier under [`APP_ID`] first, on a blocking thread and bounded by
//! [`PROBE_TIMEOUT`]: where the WinRT classes are missing (Windows Server
//! Core, wine) that fails with [`NotifyError::Unavailable`], and `auto`
//! falls back to the terminal; where the user or a policy turned toasts off
//! for the app, it fails with [`NotifyError::NoService`].

use super::backend::{
    within, Acks, NotifyError, ServiceInfo, Waiting, APP_NAME, CALL_TIMEOUT, PROBE_TIMEOUT,
};
use super::request::{toast_tag, Activation, Request, TOAST_GROUP};
use remote_message::MessageId;
use remote_message_cli::lang::Lang;
use tokio_util::task::TaskTracker;
use tracing::debug;
use windows::core::{IInspectable, Interface, HSTRING};
use windows::Data::Xml::Dom::XmlDocument;
use windows::Foundation::TypedEventHandler;
use windows::UI::Notifications::{
    NotificationSetting, ToastActivatedEventArgs, ToastDismissedEventArgs, ToastNotification,
    ToastNotificationManager,
};

/// The AppUserModelID toasts show under (registered per user, see above).
pub const APP_ID: &str = "RemoteMessage.Subscriber";

/// Where [`APP_ID`] is registered, under `HKEY_CURRENT_USER`.
fn app_id_key() -> String {
    format!(r"Software\Classes\AppUserModelId\{APP_ID}")
}

/// The toast service, found and the app id registered.
pub(super) struct Service {
    acks: Acks,
}

impl Service {
    pub(super) async fn connect(
        acks: Acks,
        _tasks: &TaskTracker,
        _lang: Lang,
    ) -> Result<(Service, ServiceInfo), NotifyError> {
        within(PROBE_TIMEOUT, blocking(probe)).await??;
        let info = ServiceInfo {
            name: "Windows toast notifications".into(),
            vendor: format!("app id {APP_ID}"),
            version: String::new(),
            actions: true,
            reads_markup: false,
        };
        Ok((Service { acks }, info))
    }

    /// Shows `request` as a toast; the answer is the agent's number for it.
    /// A toast of the same message still shown (`_earlier`) is replaced:
    /// it has the same tag.
    pub(super) async fn show(
        &self,
        request: &Request,
        waiting: Waiting,
        _earlier: &[u32],
    ) -> Result<u32, NotifyError> {
        let acks = self.acks.clone();
        self.acks
            .show_numbered(waiting, |notification| {
                let xml = request.toast_xml();
                let tag = request.toast.tag.clone();
                blocking(move || {
                    show_toast(&xml, &tag, notification, acks).map_err(|e| {
                        NotifyError::NoService(format!("the toast was not shown: {}", said(&e)))
                    })
                })
            })
            .await
    }

    /// Takes message `id` down: removes its toast (by its tag and group)
    /// from the screen and the Action Center, whether or not the agent
    /// still counted it as shown (`_notifications`).
    pub(super) async fn close(
        &self,
        id: &MessageId,
        _notifications: &[u32],
    ) -> Result<(), NotifyError> {
        let tag = toast_tag(id);
        within(
            CALL_TIMEOUT,
            blocking(move || {
                ToastNotificationManager::History()
                    .and_then(|history| {
                        history.RemoveGroupedTagWithId(
                            &HSTRING::from(tag.as_str()),
                            &HSTRING::from(TOAST_GROUP),
                            &HSTRING::from(APP_ID),
                        )
                    })
                    .map_err(|e| {
                        NotifyError::NoService(format!("the toast was not removed: {}", said(&e)))
                    })
            }),
        )
        .await?
    }
}

/// Shows the toast `xml` tagged `tag`: its clicks and its dismissal
/// reported to `acks` as notification `notification`.
fn show_toast(xml: &str, tag: &str, notification: u32, acks: Acks) -> windows::core::Result<()> {
    let document = XmlDocument::new()?;
    document.LoadXml(&HSTRING::from(xml))?;
    let toast = ToastNotification::CreateToastNotification(&document)?;
    toast.SetTag(&HSTRING::from(tag))?;
    toast.SetGroup(&HSTRING::from(TOAST_GROUP))?;
    let dismissed = acks.clone();
    toast.Activated(&TypedEventHandler::<ToastNotification, IInspectable>::new(
        move |_, args| {
            // A button reports its arguments; a click on the toast none.
            let key = activation_key(&args);
            let activation = match key.as_deref() {
                Some(key) => Activation::Action(key),
                None => Activation::Body,
            };
            acks.activated(notification, activation);
            Ok(())
        },
    ))?;
    toast.Dismissed(&TypedEventHandler::<
        ToastNotification,
        ToastDismissedEventArgs,
    >::new(move |_, _| {
        dismissed.forget(notification);
        Ok(())
    }))?;
    ToastNotificationManager::CreateToastNotifierWithId(&HSTRING::from(APP_ID))?.Show(&toast)
}

/// The `arguments` of the button that activated a toast; `None` for a
/// click on the toast itself (no arguments).
fn activation_key(args: &Option<IInspectable>) -> Option<String> {
    let args = args.as_ref()?.cast::<ToastActivatedEventArgs>().ok()?;
    let key = args.Arguments().ok()?.to_string();
    (!key.is_empty()).then_some(key)
}

/// Registers [`APP_ID`] for this user, then asks the toast service for a
/// notifier under it and whether toasts are on.
fn probe() -> Result<(), NotifyError> {
    register_app_id().map_err(|e| {
        NotifyError::NoService(format!(
            "cannot register the app id under HKEY_CURRENT_USER\\{}: {e}",
            app_id_key()
        ))
    })?;
    // The toast's content is an XML document: both classes must exist.
    let unavailable = |class: &str, e: windows::core::Error| {
        NotifyError::Unavailable(format!(
            "no Windows toast service here ({class}: {})",
            said(&e)
        ))
    };
    XmlDocument::new().map_err(|e| unavailable("Windows.Data.Xml.Dom.XmlDocument", e))?;
    let notifier = ToastNotificationManager::CreateToastNotifierWithId(&HSTRING::from(APP_ID))
        .map_err(|e| unavailable("Windows.UI.Notifications.ToastNotificationManager", e))?;
    match notifier.Setting() {
        Ok(NotificationSetting::Enabled) => Ok(()),
        Ok(setting) => Err(NotifyError::NoService(format!(
            "toasts are turned off for {APP_NAME} ({}); see Settings > System > Notifications",
            turned_off_by(setting)
        ))),
        // Some Windows builds cannot say for an unpackaged app: try anyway.
        Err(e) => {
            debug!("toast setting for {APP_ID} unknown: {e}");
            Ok(())
        }
    }
}

/// A WinRT error as Windows words it, with its HRESULT (the words may be
/// missing, as under wine).
fn said(e: &windows::core::Error) -> String {
    let code = e.code().0 as u32;
    match e.message() {
        m if m.is_empty() => format!("HRESULT {code:#010X}"),
        m => format!("{m}, HRESULT {code:#010X}"),
    }
}

/// Who turned toasts off, as [`NotificationSetting`] says.
fn turned_off_by(setting: NotificationSetting) -> &'static str {
    match setting {
        NotificationSetting::DisabledForApplication => "for this app",
        NotificationSetting::DisabledForUser => "for this user",
        NotificationSetting::DisabledByGroupPolicy => "by group policy",
        NotificationSetting::DisabledByManifest => "by the app manifest",
        _ => "for an unknown reason",
    }
}

/// Writes `HKCU\Software\Classes\AppUserModelId\<APP_ID>` with its
/// `DisplayName`; the same again when it is there.
fn register_app_id() -> windows_registry::Result<()> {
    let key = windows_registry::CURRENT_USER.create(app_id_key())?;
    key.set_string("DisplayName", APP_NAME)
}

/// Runs `f` (WinRT calls that block) on a blocking thread. Callers bound
/// the wait; a call still running then is left to finish on its own.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, NotifyError> + Send + 'static,
) -> Result<T, NotifyError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| NotifyError::NoService(format!("the toast call failed: {e}")))?
}
