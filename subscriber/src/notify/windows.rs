//! Native notifications on Windows: WinRT toast notifications, through
//! `tauri-winrt-notification` (title, text, an OK button, the scenario and
//! duration, and the activation callback), with the `windows` crate for the
//! probe.
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
//! The OK button. Clicking OK (or the toast itself) while the agent runs
//! raises the toast's `Activated` event in this process, which hands the
//! read ticket to the runner like the freedesktop action does. Without a
//! COM activator, a click on a toast left in the Action Center after the
//! agent stopped starts nothing and sends no receipt.
//!
//! The probe. `auto` and `desktop` ask the WinRT toast service for a
//! notifier under [`APP_ID`] first, on a blocking thread and bounded by
//! [`PROBE_TIMEOUT`]: where the WinRT classes are missing (Windows Server
//! Core, wine) that fails with [`NotifyError::Unavailable`], and `auto`
//! falls back to the terminal; where the user or a policy turned toasts off
//! for the app, it fails with [`NotifyError::NoService`].

use super::backend::{within, Acks, NotifyError, ServiceInfo, Waiting, APP_NAME, PROBE_TIMEOUT};
use super::request::{Activation, Request, ToastDuration, ToastScenario, READ_ACTION};
use remote_message_cli::lang::Lang;
use tauri_winrt_notification::{Duration, Scenario, Sound, Toast};
use tokio_util::task::TaskTracker;
use tracing::debug;
use windows::core::HSTRING;
use windows::Data::Xml::Dom::XmlDocument;
use windows::UI::Notifications::{NotificationSetting, ToastNotificationManager};

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
    pub(super) async fn show(
        &self,
        request: &Request,
        waiting: Waiting,
    ) -> Result<u32, NotifyError> {
        let acks = self.acks.clone();
        self.acks
            .show_numbered(waiting, |notification| {
                let request = request.clone();
                blocking(move || {
                    toast(&request, notification, acks).show().map_err(|e| {
                        NotifyError::NoService(format!("the toast was not shown: {e}"))
                    })
                })
            })
            .await
    }
}

/// The toast for `request`: its clicks and its dismissal reported to `acks`
/// as notification `notification`.
fn toast(request: &Request, notification: u32, acks: Acks) -> Toast {
    let look = request.toast;
    let mut toast = Toast::new(APP_ID)
        .title(&request.title)
        .text1(&request.body)
        .add_button(&request.read_label, READ_ACTION)
        .duration(match look.duration {
            ToastDuration::Short => Duration::Short,
            ToastDuration::Long => Duration::Long,
        })
        .sound((!look.silent).then_some(Sound::Default));
    if look.scenario == ToastScenario::Reminder {
        toast = toast.scenario(Scenario::Reminder);
    }
    let dismissed = acks.clone();
    toast
        .on_activated(move |arguments| {
            // A button reports its arguments; a click on the toast none.
            let activation = match arguments.as_deref() {
                Some(key) => Activation::Action(key),
                None => Activation::Body,
            };
            acks.activated(notification, activation);
            Ok(())
        })
        .on_dismissed(move |_reason| {
            dismissed.forget(notification);
            Ok(())
        })
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
