//! Every log event name, defined once: the stable `event` field that
//! `--log-format json` shows and that scripts and the end-to-end tests wait
//! on. A name is part of the contract (docs/events.md: "a new version may
//! add events and fields, never rename or remove one"), so it lives here and
//! not as a string literal at each logging site; a test below checks
//! docs/events.md against this list, both ways.

/// Defines [`Event`], its [`Event::ALL`] list and its names from one table.
macro_rules! events {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// The stable name of a log record's `event` field.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Event {
            $($(#[$doc])* $variant,)*
        }

        impl Event {
            /// Every event, in the order of this module's table.
            pub const ALL: &'static [Event] = &[$(Event::$variant,)*];

            /// The name as it is logged, e.g. `subscribed`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Event::$variant => $name,)*
                }
            }
        }
    };
}

events! {
    // The agent, while it runs.
    Listening = "listening",
    Output = "output",
    Subscribed = "subscribed",
    SubscriptionUnconfirmed = "subscription_unconfirmed",
    UserNameIgnored = "user_name_ignored",
    CredsWithoutAccountWall = "creds_without_account_wall",
    EntryTooLarge = "entry_too_large",
    Disconnected = "disconnected",
    Unreachable = "unreachable",
    CredsRefused = "creds_refused",
    ServerError = "server_error",
    LiveDropped = "live_dropped",
    CaughtUp = "caught_up",
    ReplayTruncated = "replay_truncated",
    CatchUpFailed = "catch_up_failed",
    LiveBeforeMissed = "live_before_missed",
    NoJetstream = "no_jetstream",
    SecretOnCommandLine = "secret_on_command_line",
    SecretFileReadable = "secret_file_readable",
    ContextUnsupported = "context_unsupported",
    InboxPrefixIgnored = "inbox_prefix_ignored",
    MessageRefused = "message_refused",
    RefusalsSummarised = "refusals_summarised",
    ShownOnDesktop = "shown_on_desktop",
    DesktopFailed = "desktop_failed",
    Acknowledged = "acknowledged",
    ExecFailed = "exec_failed",
    ExecKilled = "exec_killed",
    StateCorrupt = "state_corrupt",
    StateMadePrivate = "state_made_private",
    Background = "background",
    BackgroundFailed = "background_failed",
    Stopping = "stopping",
    SessionEndUnwatched = "session_end_unwatched",
    DrainOverdue = "drain_overdue",
    StopOverdue = "stop_overdue",
    Stopped = "stopped",
    // The agent's fatal errors (one per kind of error that stops it).
    StateLocked = "state_locked",
    SessionTaken = "session_taken",
    StateUnusable = "state_unusable",
    ExecMissing = "exec_missing",
    SettingsInvalid = "settings_invalid",
    DesktopUnavailable = "desktop_unavailable",
    ConnectFailed = "connect_failed",
    SubscribeFailed = "subscribe_failed",
    SignalsFailed = "signals_failed",
    OutputFailed = "output_failed",
    // The publisher (besides `no_jetstream` and the start-up warnings above).
    SessionsIgnored = "sessions_ignored",
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The event names docs/events.md documents: every `snake_case` name in
    /// backquotes in the first column of a table whose first heading is
    /// `event`.
    fn documented() -> BTreeSet<String> {
        let doc = include_str!("../../docs/events.md");
        let mut names = BTreeSet::new();
        let mut in_event_table = false;
        for line in doc.lines() {
            let Some(row) = line.strip_prefix('|') else {
                in_event_table = false;
                continue;
            };
            let first = row.split('|').next().unwrap_or_default().trim();
            if first == "event" {
                in_event_table = true;
                continue;
            }
            if !in_event_table {
                continue;
            }
            for (i, quoted) in first.split('`').enumerate() {
                let is_name = !quoted.is_empty()
                    && quoted.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if i % 2 == 1 && is_name {
                    names.insert(quoted.to_owned());
                }
            }
        }
        names
    }

    /// docs/events.md documents every event, and no event that does not exist.
    #[test]
    fn docs_events_md_matches_the_event_type() {
        let documented = documented();
        let defined: BTreeSet<String> = Event::ALL.iter().map(|e| e.name().to_owned()).collect();
        let undocumented: Vec<_> = defined.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&defined).collect();
        assert!(
            undocumented.is_empty(),
            "not in docs/events.md: {undocumented:?}"
        );
        assert!(
            unknown.is_empty(),
            "in docs/events.md, not in Event: {unknown:?}"
        );
    }

    /// Names are distinct `snake_case` words, as scripts match them.
    #[test]
    fn names_are_distinct_snake_case() {
        let names: BTreeSet<_> = Event::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), Event::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }
}
