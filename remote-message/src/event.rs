//! Every log event name, defined once: the stable `event` field that
//! `--log-format json` shows and that scripts and the end-to-end tests wait
//! on, and the `reason` field of `message_refused`. A name is part of the
//! contract (docs/events.md: "a new version may add events and fields, never
//! rename or remove one"), so it lives here and not as a string literal at
//! each logging site; a test below checks docs/events.md against these
//! lists, both ways.

/// Defines an enum of stable names from one table: its `ALL` list and the
/// `name` each variant is logged as.
macro_rules! names {
    ($(#[$meta:meta])* $enum:ident { $($(#[$doc:meta])* $variant:ident = $name:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum {
            $($(#[$doc])* $variant,)*
        }

        impl $enum {
            /// Every variant, in the order of its table.
            pub const ALL: &'static [$enum] = &[$($enum::$variant,)*];

            /// The name as it is logged, e.g. `subscribed`.
            pub const fn name(self) -> &'static str {
                match self {
                    $($enum::$variant => $name,)*
                }
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names! {
    /// The stable name of a log record's `event` field.
    Event {
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
        Answered = "answered",
        Reminded = "reminded",
        MessageRecalled = "message_recalled",
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
}

names! {
    /// Why the agent did not show a message: the `reason` field of
    /// [`Event::MessageRefused`].
    RefusalReason {
        // The payload (see `envelope::Rejection`).
        NotUtf8 = "not_utf8",
        Empty = "empty",
        NoText = "no_text",
        // `--trust` (see `signing::Untrusted`).
        Unsigned = "unsigned",
        UnknownSigner = "unknown_signer",
        BadSignature = "bad_signature",
        SignedTooOld = "signed_too_old",
        SignedFromTheFuture = "signed_from_the_future",
        SignedWithoutSentAt = "signed_without_sent_at",
        // Sealed to this agent.
        SealedNoKey = "sealed_no_key",
        SealedCannotOpen = "sealed_cannot_open",
        // The way it came, not its content: steered onto this agent.
        UnexpectedSubject = "unexpected_subject",
        ForeignSubject = "foreign_subject",
        StatusMessage = "status_message",
    }
}

impl RefusalReason {
    /// Refused for the way it came (steered onto the agent), not for its
    /// content.
    pub fn is_steered(self) -> bool {
        matches!(
            self,
            RefusalReason::StatusMessage
                | RefusalReason::UnexpectedSubject
                | RefusalReason::ForeignSubject
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Whether `word` is a name as events and reasons are written:
    /// `snake_case`, digits allowed.
    fn is_name(word: &str) -> bool {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

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
                if i % 2 == 1 && is_name(quoted) {
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

    /// The `message_refused` row of docs/events.md names every refusal
    /// reason, and no other (outside its parentheses).
    #[test]
    fn docs_events_md_names_every_refusal_reason() {
        let doc = include_str!("../../docs/events.md");
        let row = doc
            .lines()
            .find(|line| line.starts_with("| `message_refused`"))
            .expect("docs/events.md has a message_refused row");
        let fields = row.split('|').nth(4).expect("a fields column");
        let listed = fields
            .split_once("`reason`:")
            .expect("the fields name `reason`")
            .1;
        // What parentheses say about a reason is not a reason (`sent_at`).
        let mut depth = 0;
        let listed: String = listed
            .chars()
            .filter(|&c| {
                depth += i32::from(c == '(');
                let outside = depth == 0;
                depth -= i32::from(c == ')');
                outside
            })
            .collect();
        let documented: BTreeSet<&str> = listed
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| is_name(n))
            .collect();
        let defined: BTreeSet<&str> = RefusalReason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(documented, defined);
    }

    /// Names are distinct `snake_case` words, as scripts match them.
    #[test]
    fn names_are_distinct_snake_case() {
        let events = Event::ALL.iter().map(|e| e.name());
        let reasons = RefusalReason::ALL.iter().map(|r| r.name());
        let names: BTreeSet<_> = events.clone().collect();
        assert_eq!(names.len(), Event::ALL.len());
        let reason_names: BTreeSet<_> = reasons.clone().collect();
        assert_eq!(reason_names.len(), RefusalReason::ALL.len());
        let names: BTreeSet<_> = events.chain(reasons).collect();
        for name in names {
            assert!(is_name(name), "{name}");
        }
    }
}
