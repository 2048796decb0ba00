//! Logging to stderr for both binaries: stdout carries only output meant for
//! pipes (the agent's messages, the publisher's report).
//!
//! Two formats. `text` (the default) is for people: one line per record, as
//! it always read. `json` is for programs and tests: one object per line
//! with top-level `timestamp`, `level`, `target`, `message`, the stable
//! `event` name when the record has one, and its other fields (no span
//! list). `target` is kept so that a reader can tell our records from a
//! library's. A field named `event` is the machine-readable name of a
//! state change (e.g. `event = "subscribed"`): shown in `json`, never in
//! `text`. In `text` a record with an `event` shows its message alone (its
//! other fields repeat what the message says, for programs); records
//! without one (a library's) keep their fields.
//!
//! Warnings found while the command line is parsed, before logging starts
//! (a secret exposed on the command line or in a file others may read), are
//! kept with [`defer`] and logged by [`init`] first.

use remote_message::Event;
use std::fmt;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::Subscriber;
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Name of the field that carries a record's stable event name.
pub const EVENT_FIELD: &str = "event";

/// How log records are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line per record, for people
    #[default]
    Text,
    /// One JSON object per line, for programs
    Json,
}

/// The `--log-format` option, flattened into both command lines.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Settings and help")]
pub struct LogArgs {
    /// Format of the log on stderr: text, or json for one object per line
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        env = "REMOTE_MESSAGE_LOG_FORMAT",
        default_value_t = LogFormat::Text,
        global = true
    )]
    pub log_format: LogFormat,
}

/// A warning found before logging started, for [`init`] to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Early {
    /// Event `secret_on_command_line`: a password or token typed on the
    /// command line (every local user sees it in `ps`).
    SecretOnCommandLine(String),
    /// Event `secret_file_readable`: a settings, creds or nkey file holding
    /// a secret that other users may read.
    SecretFileReadable(String),
    /// Event `context_unsupported`: a `nats` context sets fields this
    /// program cannot honour.
    ContextUnsupported(String),
}

/// The warnings [`defer`] kept, until [`init`] logs them.
static EARLY: Mutex<Vec<Early>> = Mutex::new(Vec::new());

/// Keeps `warning` for [`init`] to log once logging has started.
pub fn defer(warning: Early) {
    EARLY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(warning);
}

/// Installs the stderr logger in `format`, then logs what [`defer`] kept.
/// `RUST_LOG` (e.g. `debug`, `async_nats=debug`) overrides the default of
/// `info` for our own crates and nothing from the others.
pub fn init(format: LogFormat) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    subscriber(format, std::io::stderr, ansi).init();
    log_deferred();
}

/// Logs, once, every warning [`defer`] kept.
pub fn log_deferred() {
    let early = std::mem::take(&mut *EARLY.lock().unwrap_or_else(|e| e.into_inner()));
    for warning in early {
        match warning {
            Early::SecretOnCommandLine(text) => {
                tracing::warn!(event = Event::SecretOnCommandLine.name(), "{text}")
            }
            Early::SecretFileReadable(text) => {
                tracing::warn!(event = Event::SecretFileReadable.name(), "{text}")
            }
            Early::ContextUnsupported(text) => {
                tracing::warn!(event = Event::ContextUnsupported.name(), "{text}")
            }
        }
    }
}

/// The logger `init` installs, writing to `writer`: also what the tests
/// capture into a buffer.
pub fn subscriber<W>(format: LogFormat, writer: W, ansi: bool) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let layer = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .with_target(false)
            .fmt_fields(TextFields)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    };
    tracing_subscriber::registry().with(layer).with(filter())
}

/// `RUST_LOG`, else `info` for our crates and nothing from the others: a
/// library's own lines (async-nats logs an `ERROR authorization violation`
/// at every refused retry) say less than ours, which name the cause once.
fn filter() -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| {
            Targets::new()
                .with_default(tracing::level_filters::LevelFilter::OFF)
                .with_target("remote_message", tracing::Level::INFO)
                .with_target("remote_message_cli", tracing::Level::INFO)
                .with_target("publisher", tracing::Level::INFO)
                .with_target("subscriber", tracing::Level::INFO)
        })
}

/// The text format's fields: tracing-subscriber's own, less `event` and,
/// on a record that has one, less every field but the message.
struct TextFields;

impl<'a> MakeVisitor<Writer<'a>> for TextFields {
    type Visitor = WithoutEvent<DefaultVisitor<'a>>;

    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        WithoutEvent {
            inner: DefaultVisitor::new(target, true),
            has_event: false,
        }
    }
}

/// Passes the fields a person reads on to the default visitor, so the line
/// reads exactly as without the structured ones (styling and spacing
/// included). `event` comes first in our records, so it is known before
/// the others arrive.
struct WithoutEvent<V> {
    inner: V,
    has_event: bool,
}

impl<V> WithoutEvent<V> {
    /// Whether `field` is shown; notes the `event` field.
    fn shows(&mut self, field: &Field) -> bool {
        if field.name() == EVENT_FIELD {
            self.has_event = true;
            return false;
        }
        !self.has_event || field.name() == "message"
    }
}

impl<V: Visit> Visit for WithoutEvent<V> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.shows(field) {
            self.inner.record_debug(field, value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.shows(field) {
            self.inner.record_str(field, value);
        }
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.shows(field) {
            self.inner.record_bool(field, value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.shows(field) {
            self.inner.record_i64(field, value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.shows(field) {
            self.inner.record_u64(field, value);
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.shows(field) {
            self.inner.record_error(field, value);
        }
    }
}

impl<V: VisitOutput<fmt::Result>> VisitOutput<fmt::Result> for WithoutEvent<V> {
    fn finish(self) -> fmt::Result {
        self.inner.finish()
    }
}

impl<V: VisitFmt> VisitFmt for WithoutEvent<V> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        self.inner.writer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing::{info, warn};

    /// A writer into a shared buffer, to read what the logger wrote.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'w self) -> Buffer {
            self.clone()
        }
    }

    /// Logs two records in `format` and returns the lines written.
    fn logged(format: LogFormat) -> Vec<String> {
        let buffer = Buffer::default();
        let subscriber = subscriber(format, buffer.clone(), false);
        tracing::subscriber::with_default(subscriber, || {
            info!(
                event = Event::Subscribed.name(),
                reconnect = false,
                "connected to NATS at nats://h:4222; subscribed to broadcast and session.s1"
            );
            warn!(answer = 42, "no event here");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text.lines().map(str::to_owned).collect()
    }

    /// The text format reads as before: a record with an event shows its
    /// message alone (the event and its fields are for programs); a record
    /// without one keeps its fields.
    #[test]
    fn text_lines_read_as_before_without_the_event() {
        let lines = logged(LogFormat::Text);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].ends_with(
                " INFO connected to NATS at nats://h:4222; subscribed to broadcast and \
                 session.s1"
            ),
            "{}",
            lines[0]
        );
        assert!(!lines[0].contains("event"), "{}", lines[0]);
        assert!(
            lines[1].ends_with(" WARN no event here answer=42"),
            "{}",
            lines[1]
        );
    }

    /// The JSON format writes one object per line with the documented
    /// top-level keys, the event name and the other fields beside them.
    #[test]
    fn json_lines_are_objects_with_the_event_at_top_level() {
        let lines = logged(LogFormat::Json);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["level"], "INFO");
        assert_eq!(first["event"], "subscribed");
        assert_eq!(first["reconnect"], false);
        assert_eq!(
            first["message"],
            "connected to NATS at nats://h:4222; subscribed to broadcast and session.s1"
        );
        assert_eq!(first["target"], "remote_message_cli::logging::tests");
        let stamp = first["timestamp"].as_str().unwrap();
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
        assert!(first.get("fields").is_none() && first.get("spans").is_none());
        let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(second["level"], "WARN");
        assert!(second.get("event").is_none(), "{second}");
    }

    /// `--log-format` takes text or json, defaults to text, and may come
    /// from `REMOTE_MESSAGE_LOG_FORMAT`.
    #[test]
    fn the_option_parses_text_and_json() {
        use clap::Parser;
        #[derive(Parser)]
        struct Toy {
            #[command(flatten)]
            log: LogArgs,
        }
        let parse = |args: &[&str]| Toy::try_parse_from(args).map(|t| t.log.log_format);
        assert_eq!(parse(&["toy"]).unwrap(), LogFormat::Text);
        assert_eq!(
            parse(&["toy", "--log-format", "json"]).unwrap(),
            LogFormat::Json
        );
        assert!(parse(&["toy", "--log-format", "xml"]).is_err());
    }
}
