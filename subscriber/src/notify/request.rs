//! What a message becomes as a native notification, decided once for every
//! OS: the title, the text (printable, truncated), its buttons (the
//! message's answers, then OK in the agent's language, from
//! [`crate::i18n`]), how its [`Priority`] maps to each notification
//! service's own terms (freedesktop urgency and expiry, the Windows toast
//! scenario and duration, the macOS interruption level), and what a click
//! the service reports back means ([`choice`]). A message that asks
//! something stays on screen until it is answered or acknowledged.
//!
//! Plain data, no OS calls: every mapping is unit-tested on every host,
//! although each OS backend (`linux.rs`, `windows.rs`, `macos.rs`) reads only its own part.

use crate::i18n::tr;
use remote_message::terminal::{printable, Lines};
use remote_message::{Answers, Incoming, MessageId, Priority, Target};
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

/// The prefix of an answer button's key: `answer-1` is the first answer
/// ([`answer_key`]). Keys never carry the label, so a label can be any text
/// and no label can pass for OK.
pub const ANSWER_ACTION_PREFIX: &str = "answer-";

/// The most buttons a Windows toast takes: answers first, then OK if there
/// is room.
pub const TOAST_MAX_BUTTONS: usize = 5;

/// The group every toast is in; with its tag ([`toast_tag`]) it names the
/// toast of one message, to replace or remove it.
pub const TOAST_GROUP: &str = "messages";

/// The macOS category of a message that asks nothing (OK only).
pub const APPLE_READ_CATEGORY: &str = "message";

/// The OK button's label in `lang`.
pub fn read_label(lang: Lang) -> String {
    tr!(lang, "action-ok")
}

/// The key of the answer at `index` (from 0): `answer-1` for the first.
pub fn answer_key(index: usize) -> String {
    format!("{ANSWER_ACTION_PREFIX}{}", index + 1)
}

/// The toast tag of message `id`: 16 hex digits of its FNV-1a hash, the
/// same in every run (a toast left in the Action Center by an earlier run
/// can still be removed), and within the 64 characters Windows allows
/// whatever the id's length.
pub fn toast_tag(id: &MessageId) -> String {
    let hash = id.as_str().bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// How long a `high` notification stays on a freedesktop server, where the
/// server lets the client say.
pub const HIGH_PRIORITY_TIMEOUT_MS: i32 = 30_000;

/// One message as a notification, for any OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub title: String,
    pub body: String,
    pub freedesktop: Freedesktop,
    pub toast: Toast,
    pub apple: Apple,
}

/// A button (an action): the key the service reports back when it is
/// clicked, and the text it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub key: String,
    pub label: String,
}

impl Button {
    fn new(key: impl Into<String>, label: impl Into<String>) -> Button {
        Button {
            key: key.into(),
            label: label.into(),
        }
    }

    /// One button per answer, keyed `answer-1`… in order, showing the label.
    fn answers(answers: &Answers) -> Vec<Button> {
        answers
            .iter()
            .enumerate()
            .map(|(index, label)| Button::new(answer_key(index), label))
            .collect()
    }
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

/// The freedesktop notification's urgency, expiry and actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freedesktop {
    /// 0 low, 1 normal, 2 critical (the `urgency` hint).
    pub urgency: u8,
    /// -1: the server decides; 0: never expires; else milliseconds.
    pub expire_timeout_ms: i32,
    /// The answers, OK ([`READ_ACTION`]) and the click on the notification
    /// ([`DEFAULT_ACTION`]), in the order a server shows them (sent only
    /// where the server has actions).
    pub actions: Vec<Button>,
}

/// The Windows toast's scenario, duration, sound and buttons, and the tag
/// that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub scenario: ToastScenario,
    pub duration: ToastDuration,
    pub silent: bool,
    /// The answers, then OK while there is room (at most
    /// [`TOAST_MAX_BUTTONS`]); each button's key is its `arguments`.
    pub buttons: Vec<Button>,
    /// The message's [`toast_tag`], in [`TOAST_GROUP`]: a toast shown again
    /// for the same message replaces the earlier one.
    pub tag: String,
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

/// The macOS notification's interruption level, sound and category (the
/// set of actions it shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apple {
    pub interruption: InterruptionLevel,
    pub sound: bool,
    /// [`APPLE_READ_CATEGORY`] for OK alone; for answers, one category per
    /// list of labels: `answers` and each label, separated by U+001F (a
    /// control character, which no label holds).
    pub category: String,
    /// The category's actions: the answers, then OK.
    pub actions: Vec<Button>,
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
        let ok = Button::new(READ_ACTION, read_label(lang));
        Request {
            title: printable(&title, TITLE_MAX_CHARS, Lines::Kept),
            body,
            freedesktop: Freedesktop::of(message.priority, &message.answers, &ok, lang),
            toast: Toast::of(message.priority, &message.answers, &ok, &message.id),
            apple: Apple::of(message.priority, &message.answers, &ok),
        }
    }

    /// The toast's XML (the `ToastGeneric` template of Windows 10 and
    /// later): title, text, sound and buttons, every text escaped.
    pub fn toast_xml(&self) -> String {
        let look = &self.toast;
        let mut toast = String::from("<toast");
        toast.push_str(match look.duration {
            ToastDuration::Short => r#" duration="short""#,
            ToastDuration::Long => r#" duration="long""#,
        });
        if look.scenario == ToastScenario::Reminder {
            toast.push_str(r#" scenario="reminder""#);
        }
        toast.push_str(r#"><visual><binding template="ToastGeneric">"#);
        for text in [&self.title, &self.body] {
            toast.push_str(&format!("<text>{}</text>", escape_xml(text)));
        }
        toast.push_str("</binding></visual>");
        if look.silent {
            toast.push_str(r#"<audio silent="true"/>"#);
        }
        if !look.buttons.is_empty() {
            toast.push_str("<actions>");
            for button in &look.buttons {
                toast.push_str(&format!(
                    r#"<action content="{}" arguments="{}"/>"#,
                    escape_xml(&button.label),
                    escape_xml(&button.key)
                ));
            }
            toast.push_str("</actions>");
        }
        toast.push_str("</toast>");
        toast
    }
}

impl Freedesktop {
    /// low/normal/high/urgent: the three urgencies; high goes away after
    /// 30 s, urgent never expires, nor does a message that asks something.
    /// Its actions: the answers, OK (`ok`), and a click on it.
    pub fn of(priority: Priority, answers: &Answers, ok: &Button, lang: Lang) -> Freedesktop {
        let (urgency, expire_timeout_ms) = match priority {
            Priority::Low => (0, -1),
            Priority::Normal => (1, -1),
            Priority::High => (2, HIGH_PRIORITY_TIMEOUT_MS),
            Priority::Urgent => (2, 0),
        };
        let expire_timeout_ms = if answers.is_empty() {
            expire_timeout_ms
        } else {
            0
        };
        let mut actions = Button::answers(answers);
        actions.push(ok.clone());
        actions.push(Button::new(DEFAULT_ACTION, tr!(lang, "action-mark-read")));
        Freedesktop {
            urgency,
            expire_timeout_ms,
            actions,
        }
    }
}

impl Toast {
    /// low: short and silent; normal: short; high: long (about 25 s);
    /// urgent, and a message that asks something: a reminder, on screen
    /// until dismissed or answered. Its buttons: the answers, then OK
    /// (`ok`) if there is room; tagged as message `id`.
    pub fn of(priority: Priority, answers: &Answers, ok: &Button, id: &MessageId) -> Toast {
        let (scenario, duration, silent) = match priority {
            Priority::Low => (ToastScenario::Default, ToastDuration::Short, true),
            Priority::Normal => (ToastScenario::Default, ToastDuration::Short, false),
            Priority::High => (ToastScenario::Default, ToastDuration::Long, false),
            Priority::Urgent => (ToastScenario::Reminder, ToastDuration::Long, false),
        };
        let (scenario, duration) = if answers.is_empty() {
            (scenario, duration)
        } else {
            (ToastScenario::Reminder, ToastDuration::Long)
        };
        let mut buttons = Button::answers(answers);
        buttons.push(ok.clone());
        buttons.truncate(TOAST_MAX_BUTTONS);
        Toast {
            scenario,
            duration,
            silent,
            buttons,
            tag: toast_tag(id),
        }
    }
}

impl Apple {
    /// low: passive and silent; normal: active; high and urgent:
    /// time-sensitive. Whether it stays on screen is the user's choice on
    /// macOS (the app's alert style, banners or alerts), not the app's.
    /// Its actions: the answers, then OK (`ok`).
    pub fn of(priority: Priority, answers: &Answers, ok: &Button) -> Apple {
        let (interruption, sound) = match priority {
            Priority::Low => (InterruptionLevel::Passive, false),
            Priority::Normal => (InterruptionLevel::Active, true),
            Priority::High | Priority::Urgent => (InterruptionLevel::TimeSensitive, true),
        };
        let category = if answers.is_empty() {
            APPLE_READ_CATEGORY.to_owned()
        } else {
            std::iter::once("answers")
                .chain(answers.iter())
                .collect::<Vec<_>>()
                .join("\u{1f}")
        };
        let mut actions = Button::answers(answers);
        actions.push(ok.clone());
        Apple {
            interruption,
            sound,
            category,
            actions,
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

/// What a click means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Acknowledged: OK, or a click on the notification.
    Read,
    /// The answer at this index (from 0) of the message's answers.
    Answer(usize),
}

/// What the user chose by `activation`: OK or a click on the notification
/// reads, `answer-N` picks the Nth answer; a service's own buttons (and
/// any other key) choose nothing.
pub fn choice(activation: Activation<'_>) -> Option<Choice> {
    let key = match activation {
        Activation::Body => return Some(Choice::Read),
        Activation::Action(key) => key,
    };
    if key == READ_ACTION || key == DEFAULT_ACTION {
        return Some(Choice::Read);
    }
    let number: usize = key.strip_prefix(ANSWER_ACTION_PREFIX)?.parse().ok()?;
    let index = number.checked_sub(1)?;
    // Exactly as the agent writes it: `answer-01` or `answer-+1` is no key of ours.
    (answer_key(index) == key).then_some(Choice::Answer(index))
}

/// Text as it must be sent to a server that reads the body as markup.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text as it must be put in the toast's XML, in an element or an attribute.
fn escape_xml(text: &str) -> String {
    escape_markup(text)
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
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
        let fd = |p| {
            let look = request(p).freedesktop;
            (look.urgency, look.expire_timeout_ms)
        };
        assert_eq!(fd(Priority::Low), (0, -1));
        assert_eq!(fd(Priority::Normal), (1, -1));
        assert_eq!(fd(Priority::High), (2, HIGH_PRIORITY_TIMEOUT_MS));
        assert_eq!(fd(Priority::Urgent), (2, 0));
    }

    /// Windows: low is a short silent toast, normal a short one, high a
    /// long one, urgent a reminder (stays until dismissed).
    #[test]
    fn toast_scenario_duration_and_sound_per_priority() {
        let toast = |p| {
            let look = request(p).toast;
            (look.scenario, look.duration, look.silent)
        };
        use ToastDuration::{Long, Short};
        use ToastScenario::{Default, Reminder};
        assert_eq!(toast(Priority::Low), (Default, Short, true));
        assert_eq!(toast(Priority::Normal), (Default, Short, false));
        assert_eq!(toast(Priority::High), (Default, Long, false));
        assert_eq!(toast(Priority::Urgent), (Reminder, Long, false));
    }

    /// macOS: low is passive and silent, normal active, high and urgent
    /// time-sensitive (never critical: that needs Apple's entitlement).
    #[test]
    fn apple_interruption_level_per_priority() {
        let apple = |p| {
            let look = request(p).apple;
            (look.interruption, look.sound)
        };
        use InterruptionLevel::{Active, Passive, TimeSensitive};
        assert_eq!(apple(Priority::Low), (Passive, false));
        assert_eq!(apple(Priority::Normal), (Active, true));
        assert_eq!(apple(Priority::High), (TimeSensitive, true));
        assert_eq!(apple(Priority::Urgent), (TimeSensitive, true));
    }

    /// `(key, label)` of each button, to compare at a glance.
    fn keys_and_labels(buttons: &[Button]) -> Vec<(&str, &str)> {
        buttons
            .iter()
            .map(|b| (b.key.as_str(), b.label.as_str()))
            .collect()
    }

    /// A message that asks nothing has OK everywhere (and the click on it
    /// on freedesktop), in the agent's language: "Aceptar" in Spanish (as
    /// Windows and macOS say it), "OK" in English and French.
    #[test]
    fn a_message_without_answers_has_ok_in_the_agents_language() {
        for (lang, ok, click) in [
            (Lang::En, "OK", "Mark as read"),
            (Lang::Es, "Aceptar", "Marcar como leído"),
            (Lang::Fr, "OK", "Marquer comme lu"),
        ] {
            let m = message(None, None, Priority::Normal);
            let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, lang);
            assert_eq!(
                keys_and_labels(&r.freedesktop.actions),
                [(READ_ACTION, ok), (DEFAULT_ACTION, click)]
            );
            assert_eq!(keys_and_labels(&r.toast.buttons), [(READ_ACTION, ok)]);
            assert_eq!(r.apple.category, APPLE_READ_CATEGORY);
            assert_eq!(keys_and_labels(&r.apple.actions), [(READ_ACTION, ok)]);
        }
        assert_eq!(read_label(Lang::Es), "Aceptar");
    }

    /// A message with answers shows one button per label, keyed `answer-1`…
    /// in order, before OK: on freedesktop with OK and the click on it,
    /// never expiring; on Windows as a reminder toast (on screen until
    /// acted on) with OK only while there is room for it among the five
    /// buttons; on macOS in a category of its own labels, with OK.
    #[test]
    fn answers_become_buttons_on_every_os() {
        let mut m = message(None, None, Priority::Low);
        m.answers = Answers::parse(&["Restart now", "In 1 hour"]).unwrap();
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        let answers = [("answer-1", "Restart now"), ("answer-2", "In 1 hour")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = answers.to_vec();
            all.extend_from_slice(extra);
            all
        };
        assert_eq!(
            keys_and_labels(&r.freedesktop.actions),
            with(&[(READ_ACTION, "OK"), (DEFAULT_ACTION, "Mark as read")])
        );
        assert_eq!(
            (r.freedesktop.urgency, r.freedesktop.expire_timeout_ms),
            (0, 0)
        );
        assert_eq!(
            keys_and_labels(&r.toast.buttons),
            with(&[(READ_ACTION, "OK")])
        );
        assert_eq!(
            (r.toast.scenario, r.toast.duration, r.toast.silent),
            (ToastScenario::Reminder, ToastDuration::Long, true)
        );
        assert_eq!(
            keys_and_labels(&r.apple.actions),
            with(&[(READ_ACTION, "OK")])
        );
        assert_eq!(r.apple.category, "answers\u{1f}Restart now\u{1f}In 1 hour");

        m.answers = Answers::parse(&["a", "b", "c", "d", "e"]).unwrap();
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        let five: Vec<String> = (0..5).map(answer_key).collect();
        let toast_keys: Vec<&str> = r.toast.buttons.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(toast_keys, five, "no room for OK on a toast");
        assert_eq!(r.freedesktop.actions.len(), 7);
        assert_eq!(r.apple.actions.len(), 6);
        assert_ne!(r.apple.category, "answers\u{1f}Restart now\u{1f}In 1 hour");
    }

    /// The toast's XML: title and text escaped, duration, scenario, sound,
    /// and each button with its label as content and its key as arguments.
    #[test]
    fn toast_xml_carries_the_look_and_the_buttons() {
        let mut m = message(Some("Q & A"), None, Priority::Low);
        m.answers = Answers::parse(&["Say \"yes\" <now>"]).unwrap();
        let r = Request::of(&m, &Target::Broadcast, BodyFormat::Plain, Lang::En);
        assert_eq!(
            r.toast_xml(),
            concat!(
                r#"<toast duration="long" scenario="reminder"><visual><binding template="ToastGeneric">"#,
                "<text>Q &amp; A</text><text>Restart at 10pm &lt;b&gt;&amp;&lt;/b&gt;</text>",
                r#"</binding></visual><audio silent="true"/><actions>"#,
                r#"<action content="Say &quot;yes&quot; &lt;now&gt;" arguments="answer-1"/>"#,
                r#"<action content="OK" arguments="read"/></actions></toast>"#
            )
        );
        let plain = request(Priority::Normal).toast_xml();
        assert!(
            plain.starts_with(r#"<toast duration="short"><visual>"#),
            "{plain}"
        );
        assert!(!plain.contains("audio"), "{plain}");
    }

    /// A toast's tag is the same for the same message id, in every run,
    /// 16 hex digits however long the id; another id has another tag.
    #[test]
    fn toast_tag_is_a_stable_short_hash_of_the_message_id() {
        let tag = toast_tag(&"m1".into());
        assert_eq!(tag, toast_tag(&"m1".into()));
        assert_eq!(tag.len(), 16);
        assert!(tag.chars().all(|c| c.is_ascii_hexdigit()), "{tag}");
        assert_ne!(tag, toast_tag(&"m2".into()));
        assert_eq!(toast_tag(&"x".repeat(10_000).as_str().into()).len(), 16);
        assert_eq!(request(Priority::Normal).toast.tag, tag);
    }

    /// OK and a click on the notification read it; `answer-N` picks the
    /// Nth answer, exactly so spelled; any other key (a server's own
    /// buttons) chooses nothing.
    #[test]
    fn what_a_click_chooses() {
        assert_eq!(choice(Activation::Action(READ_ACTION)), Some(Choice::Read));
        assert_eq!(
            choice(Activation::Action(DEFAULT_ACTION)),
            Some(Choice::Read)
        );
        assert_eq!(choice(Activation::Body), Some(Choice::Read));
        assert_eq!(
            choice(Activation::Action("answer-1")),
            Some(Choice::Answer(0))
        );
        assert_eq!(
            choice(Activation::Action("answer-5")),
            Some(Choice::Answer(4))
        );
        for other in [
            "dismiss",
            "",
            "answer-0",
            "answer-01",
            "answer-+1",
            "answer-",
            "answer-x",
        ] {
            assert_eq!(choice(Activation::Action(other)), None, "{other}");
        }
    }
}
