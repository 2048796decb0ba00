//! What a message becomes as a native notification, decided once for every
//! OS: the title, the text (printable, truncated), the OK action (their
//! words in the agent's language, from [`crate::i18n`]), and how
//! its [`Priority`] maps to each notification service's own terms
//! (freedesktop urgency and expiry, the Windows toast scenario and
//! duration, the macOS interruption level).
//!
//! Plain data, no OS calls: every mapping is unit-tested on every host,
//! although each OS backend (`linux.rs`, `windows.rs`, `macos.rs`) reads only its own part.

use crate::i18n::tr;
use remote_message::terminal::{printable, Lines};
use remote_message::{Incoming, Priority, Target};
use remote_message_cli::lang::Lang;

/// Longest text put in a notification; the JSON output and the --exec hook
/// always get all of it.
pub const BODY_MAX_CHARS: usize = 2_000;

/// Longest title put in a notification.
pub const TITLE_MAX_CHARS: usize = 200;

/// The OK button's key, as the notification service reports it back (its
/// label is [`read_label`]).
pub const READ_ACTION: &str = "read";

/// The freedesktop key of a click on the notification itself (the spec's
/// default action; the label some servers show for it is
/// [`Request::default_label`]).
pub const DEFAULT_ACTION: &str = "default";

/// The OK button's label in `lang`.
pub fn read_label(lang: Lang) -> String {
    tr!(lang, "action-ok")
}

/// How long a `high` notification stays on a freedesktop server, where the
/// server lets the client say.
pub const HIGH_PRIORITY_TIMEOUT_MS: i32 = 30_000;

/// One message as a notification, for any OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub title: String,
    pub body: String,
    /// The OK button's label.
    pub read_label: String,
    /// What a freedesktop server may show for a click on the notification.
    pub default_label: String,
    pub freedesktop: Freedesktop,
    pub toast: Toast,
    pub apple: Apple,
}

/// How the service reads the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// As it is (Windows, macOS, most freedesktop servers).
    Plain,
    /// As markup: `<`, `>` and `&` must be escaped (a freedesktop server
    /// that advertises `body-markup`).
    Markup,
}

/// The freedesktop notification's urgency and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freedesktop {
    /// 0 low, 1 normal, 2 critical (the `urgency` hint).
    pub urgency: u8,
    /// -1: the server decides; 0: never expires; else milliseconds.
    pub expire_timeout_ms: i32,
}

/// The Windows toast's scenario, duration and sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toast {
    pub scenario: ToastScenario,
    pub duration: ToastDuration,
    pub silent: bool,
}

/// The toast's `scenario` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastScenario {
    /// An ordinary toast: it goes to the Action Center after its duration.
    Default,
    /// Shown expanded and kept on screen until the user dismisses it or
    /// clicks a button, on Windows 10 and 11 alike (the `urgent` scenario
    /// exists on Windows 11 only, and is about breaking through Do Not
    /// Disturb, not about staying). Windows requires a button for it: OK.
    Reminder,
}

/// The toast's `duration` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastDuration {
    /// About 7 seconds.
    Short,
    /// About 25 seconds.
    Long,
}

/// The macOS notification's interruption level and sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apple {
    pub interruption: InterruptionLevel,
    pub sound: bool,
}

/// `UNNotificationInterruptionLevel`, without `critical`: that level needs
/// an entitlement Apple grants on request for health and safety apps, so
/// the strongest this agent asks for is `timeSensitive` (which breaks
/// through Focus where the user allows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptionLevel {
    Passive,
    Active,
    TimeSensitive,
}

impl Request {
    /// The notification for `message`, sent to `target`, its own words in
    /// `lang`.
    pub fn of(message: &Incoming, target: &Target, format: BodyFormat, lang: Lang) -> Request {
        let title = match (&message.title, &message.sender) {
            (Some(title), _) => title.clone(),
            (None, Some(sender)) => tr!(lang, "notification-title-from", sender = sender.as_str()),
            (None, None) => match target {
                Target::Broadcast => tr!(lang, "notification-title-everyone"),
                Target::Session(_) => tr!(lang, "notification-title-you"),
            },
        };
        let mut body = printable(&message.text, BODY_MAX_CHARS, Lines::Kept);
        if format == BodyFormat::Markup {
            body = escape_markup(&body);
        }
        Request {
            title: printable(&title, TITLE_MAX_CHARS, Lines::Kept),
            body,
            read_label: read_label(lang),
            default_label: tr!(lang, "action-mark-read"),
            freedesktop: Freedesktop::of(message.priority),
            toast: Toast::of(message.priority),
            apple: Apple::of(message.priority),
        }
    }
}

impl Freedesktop {
    /// low/normal/high/urgent: the three urgencies; high goes away after
    /// 30 s, urgent never expires.
    pub fn of(priority: Priority) -> Freedesktop {
        let (urgency, expire_timeout_ms) = match priority {
            Priority::Low => (0, -1),
            Priority::Normal => (1, -1),
            Priority::High => (2, HIGH_PRIORITY_TIMEOUT_MS),
            Priority::Urgent => (2, 0),
        };
        Freedesktop {
            urgency,
            expire_timeout_ms,
        }
    }
}

impl Toast {
    /// low: short and silent; normal: short; high: long (about 25 s);
    /// urgent: a reminder, on screen until dismissed.
    pub fn of(priority: Priority) -> Toast {
        let (scenario, duration, silent) = match priority {
            Priority::Low => (ToastScenario::Default, ToastDuration::Short, true),
            Priority::Normal => (ToastScenario::Default, ToastDuration::Short, false),
            Priority::High => (ToastScenario::Default, ToastDuration::Long, false),
            Priority::Urgent => (ToastScenario::Reminder, ToastDuration::Long, false),
        };
        Toast {
            scenario,
            duration,
            silent,
        }
    }
}

impl Apple {
    /// low: passive and silent; normal: active; high and urgent:
    /// time-sensitive. Whether it stays on screen is the user's choice on
    /// macOS (the app's alert style, banners or alerts), not the app's.
    pub fn of(priority: Priority) -> Apple {
        let (interruption, sound) = match priority {
            Priority::Low => (InterruptionLevel::Passive, false),
            Priority::Normal => (InterruptionLevel::Active, true),
            Priority::High | Priority::Urgent => (InterruptionLevel::TimeSensitive, true),
        };
        Apple {
            interruption,
            sound,
        }
    }
}

/// What the user did to a notification, as a backend reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation<'a> {
    /// A button or action, by its key.
    Action(&'a str),
    /// A click on the notification itself (a Windows toast activated with
    /// no arguments, macOS's default action).
    Body,
}

/// Whether what the user did acknowledges the message: the OK button, or
/// a click on the notification; not a service's own buttons.
pub fn acknowledges(activation: Activation<'_>) -> bool {
    match activation {
        Activation::Action(key) => key == READ_ACTION || key == DEFAULT_ACTION,
        Activation::Body => true,
    }
}

/// Text as it must be sent to a server that reads the body as markup.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::envelope::Format;

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
            signed_times: None,
            format: Format::Json,
            ..Default::default()
        }
    }

    fn request(priority: Priority) -> Request {
        Request::of(
            &message(None, None, priority),
            &Target::Broadcast,
            BodyFormat::Plain,
            Lang::En,
        )
    }

    /// The title is the message's title; without one, who sent it; without
    /// that, whom it is for (everyone or this session).
    #[test]
    fn title_is_the_title_else_who_sent_it_else_whom_it_is_for() {
        let title = |title, sender, target: &Target, lang| {
            Request::of(
                &message(title, sender, Priority::Normal),
                target,
                BodyFormat::Plain,
                lang,
            )
            .title
        };
        let alice = Target::Session("alice".parse().unwrap());
        let everyone = &Target::Broadcast;
        for lang in Lang::ALL {
            let with_title = title(Some("Maintenance"), Some("ops@srv"), &alice, lang);
            assert_eq!(with_title, "Maintenance");
        }
        for (lang, from, for_everyone, for_you) in [
            (
                Lang::En,
                "Message from ops@srv",
                "Message for everyone",
                "Message for you",
            ),
            (
                Lang::Es,
                "Mensaje de ops@srv",
                "Mensaje para todos",
                "Mensaje para usted",
            ),
            (
                Lang::Fr,
                "Message de ops@srv",
                "Message pour tout le monde",
                "Message pour vous",
            ),
        ] {
            assert_eq!(title(None, Some("ops@srv"), &alice, lang), from);
            assert_eq!(title(None, None, everyone, lang), for_everyone);
            assert_eq!(title(None, None, &alice, lang), for_you);
        }
    }

    /// Control, bidi and zero-width characters in the title and text are
    /// shown escaped (the terminal block's [`printable`]), and both are cut
    /// at their limits with a note of how much is left out.
    #[test]
    fn title_and_body_are_printable_and_truncated() {
        let mut m = message(Some("a\u{1b}[2Jb\u{202E}c\u{200B}"), None, Priority::Normal);
        m.text = "d\u{2067}e\u{FEFF}\n".into();
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        assert_eq!(r.title, "a\\u{1b}[2Jb\\u{202e}c\\u{200b}");
        assert_eq!(r.body, "d\\u{2067}e\\u{feff}\n");
        m.text = "x".repeat(BODY_MAX_CHARS + 5);
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        assert_eq!(
            r.body,
            format!(
                "{}… [5 more characters not shown]",
                "x".repeat(BODY_MAX_CHARS)
            )
        );
        m.title = Some("t".repeat(TITLE_MAX_CHARS + 1));
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        assert!(
            r.title.ends_with("… [1 more characters not shown]"),
            "{}",
            r.title
        );
    }

    /// `<`, `>` and `&` are escaped for a server that reads markup, and
    /// left alone for one that does not.
    #[test]
    fn body_is_escaped_only_for_markup() {
        let m = message(None, None, Priority::Normal);
        let body = |format| Request::of(&m, &Target::Broadcast, format, Lang::En).body;
        assert_eq!(body(BodyFormat::Plain), m.text);
        assert_eq!(
            body(BodyFormat::Markup),
            "Restart at 10pm &lt;b&gt;&amp;&lt;/b&gt;"
        );
    }

    /// freedesktop: low/normal/high/urgent are urgencies 0/1/2/2; high
    /// stays 30 s, urgent until dismissed, the others as the server likes.
    #[test]
    fn freedesktop_urgency_and_expiry_per_priority() {
        let fd = |p| request(p).freedesktop;
        let of = |urgency, expire_timeout_ms| Freedesktop {
            urgency,
            expire_timeout_ms,
        };
        assert_eq!(fd(Priority::Low), of(0, -1));
        assert_eq!(fd(Priority::Normal), of(1, -1));
        assert_eq!(fd(Priority::High), of(2, HIGH_PRIORITY_TIMEOUT_MS));
        assert_eq!(fd(Priority::Urgent), of(2, 0));
    }

    /// Windows: low is a short silent toast, normal a short one, high a
    /// long one, urgent a reminder (stays until dismissed).
    #[test]
    fn toast_scenario_duration_and_sound_per_priority() {
        let toast = |p| request(p).toast;
        let of = |scenario, duration, silent| Toast {
            scenario,
            duration,
            silent,
        };
        use ToastDuration::{Long, Short};
        use ToastScenario::{Default, Reminder};
        assert_eq!(toast(Priority::Low), of(Default, Short, true));
        assert_eq!(toast(Priority::Normal), of(Default, Short, false));
        assert_eq!(toast(Priority::High), of(Default, Long, false));
        assert_eq!(toast(Priority::Urgent), of(Reminder, Long, false));
    }

    /// macOS: low is passive and silent, normal active, high and urgent
    /// time-sensitive (never critical: that needs Apple's entitlement).
    #[test]
    fn apple_interruption_level_per_priority() {
        let apple = |p| request(p).apple;
        let of = |interruption, sound| Apple {
            interruption,
            sound,
        };
        use InterruptionLevel::{Active, Passive, TimeSensitive};
        assert_eq!(apple(Priority::Low), of(Passive, false));
        assert_eq!(apple(Priority::Normal), of(Active, true));
        assert_eq!(apple(Priority::High), of(TimeSensitive, true));
        assert_eq!(apple(Priority::Urgent), of(TimeSensitive, true));
    }

    /// The buttons speak the agent's language: OK is "Aceptar" in Spanish
    /// (as Windows and macOS say it), "OK" in English and French.
    #[test]
    fn button_labels_per_language() {
        let labels = |lang| {
            let m = message(None, None, Priority::Normal);
            let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, lang);
            (r.read_label, r.default_label)
        };
        let pair = |ok: &str, click: &str| (ok.to_owned(), click.to_owned());
        assert_eq!(labels(Lang::En), pair("OK", "Mark as read"));
        assert_eq!(labels(Lang::Es), pair("Aceptar", "Marcar como leído"));
        assert_eq!(labels(Lang::Fr), pair("OK", "Marquer comme lu"));
        assert_eq!(read_label(Lang::Es), "Aceptar");
    }

    /// The OK button and a click on the notification acknowledge it; any
    /// other action key (a server's own buttons) does not.
    #[test]
    fn only_ok_and_a_click_acknowledge() {
        assert!(acknowledges(Activation::Action(READ_ACTION)));
        assert!(acknowledges(Activation::Action(DEFAULT_ACTION)));
        assert!(acknowledges(Activation::Body));
        assert!(!acknowledges(Activation::Action("dismiss")));
        assert!(!acknowledges(Activation::Action("")));
    }
}
