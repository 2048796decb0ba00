//! Settings files for both binaries, so an agent that runs as a user service
//! (or an ops machine that always talks to one server) needs no long command
//! line.
//!
//! A settings file is TOML whose keys are the long option names, e.g.
//!
//! ```toml
//! server = "nats://nats.example:4222"
//! output = "desktop"
//! label = ["dept=sales", "floor=2"]
//! ```
//!
//! It is read from `--config FILE`, else from the user's config directory
//! (`~/.config/remote-message/<binary>.toml` on Linux; a missing default file
//! is fine). Precedence is: command line, then environment, then file, then
//! a `nats` CLI context ([`crate::context`]), then the built-in defaults. [`layer`] does that without a second definition of
//! the options: it parses the command line once with the real clap
//! [`Command`], and for every key whose option came neither from the command
//! line nor from the environment it adds `--key=value` to the arguments (a
//! list adds the option once per element, `true` adds a flag), which are then
//! parsed as usual. So a value from the file is checked exactly like one
//! typed by hand. Unknown keys are an error naming the key and the file.
//!
//! Why words and not clap's own defaults (`Command::mut_arg` with
//! `default_value`, telling them apart by `ArgMatches::value_source`):
//! clap's `requires` and `conflicts_with` count only values given on the
//! command line or in the environment, never defaults. As defaults, a
//! file's `user` would not satisfy `--password`'s `requires` (so `NATS_PASSWORD`
//! with the user in the file would be refused), a file's `tls-cert` alone
//! would no longer be refused for lacking `--tls-key`, and a file's `wait`
//! would no longer conflict with `--no-wait`.
//!
//! A file holds defaults for every run, so it may not hold what targets or
//! identifies one run (a send's `session`, its `id`, …): each binary names
//! those keys ([`OneRun`]), and a file that sets one is refused, naming it,
//! rather than turning every send into a send to one session or a silent
//! duplicate. Every error says where in the file it is (line and column);
//! a misspelt key gets the nearest known one, an unquoted string the line
//! as it should be written.

use crate::i18n::tr;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches};
use remote_message::error::{Error, ErrorKind};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The `--config` option, flattened into both command lines.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Settings and help")]
pub struct ConfigArgs {
    // Help: "Settings file in TOML …", naming this OS's default.
    #[arg(long, value_name = "FILE", global = true, help = config_help())]
    pub config: Option<PathBuf>,
}

/// Id of the `--config` option in the clap definition.
const CONFIG_ID: &str = "config";

/// Id of the `--generate` option ([`crate::generate::GenerateArgs`]).
pub(crate) const GENERATE_ID: &str = "generate";

/// Options a file may not set: where the file is, and what only makes sense
/// typed by hand.
const NOT_SETTABLE: [&str; 4] = ["config", "generate", "help", "version"];

/// The long names of a binary's options that target or identify one run
/// (e.g. `publisher send --session`): a settings file may not set them, as
/// a default would apply to every run. Each binary lists its own, next to
/// its command line.
pub type OneRun = &'static [&'static str];

/// How close (Jaro similarity, as clap's own suggestions) a misspelt key
/// must be to a known one to be suggested.
const SUGGESTION_SIMILARITY: f64 = 0.7;

/// Where `binary` looks for its settings when `--config` is not given:
/// `<config dir>/remote-message/<binary>.toml`, the config dir being
/// `$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application
/// Support` on macOS, `%APPDATA%` (`~\AppData\Roaming`) on Windows.
pub fn default_path(binary: &str) -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("remote-message").join(format!("{binary}.toml")))
}

/// `--config`'s help, naming the default this OS resolves it to.
fn config_help() -> String {
    let default = default_path("<binary>").map_or_else(
        || "none: no home directory".to_owned(),
        |path| shown_path(&path),
    );
    format!(
        "Settings file in TOML, keys named like the long options \
         (e.g. server = \"nats://host:4222\"); the command line and the \
         environment override it [default: {default}]"
    )
}

/// `path` as help text shows a default: under the home directory it reads
/// `~/…` (`~\…` on Windows), so the text is the same for every user and in
/// generated man pages.
pub fn shown_path(path: &Path) -> String {
    match dirs::home_dir().and_then(|home| path.strip_prefix(home).ok().map(Path::to_owned)) {
        Some(rest) => Path::new("~").join(rest).display().to_string(),
        None => path.display().to_string(),
    }
}

/// Why a settings file cannot be used (the process then exits 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file cannot be read (an explicit `--config`, or a default file
    /// that exists but cannot be read).
    Unreadable,
    /// The file is not TOML.
    NotToml,
    /// A key names no option, or its value has the wrong shape.
    BadKey,
}

impl ErrorKind for ConfigErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ConfigErrorKind::Unreadable => "cannot read the settings file",
            ConfigErrorKind::NotToml => "the settings file is not valid TOML",
            ConfigErrorKind::BadKey => "the settings file has a bad key",
        }
    }
}

/// A settings file that cannot be used; the message names the file (and
/// the key).
pub type ConfigError = Error<ConfigErrorKind>;

/// The command line with the file's settings added.
#[derive(Debug, Clone)]
pub struct Layered {
    pub argv: Vec<OsString>,
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
    /// The keys the file contributed (values are not kept: they may be secrets).
    pub keys_used: Vec<String>,
    /// The `nats` context file whose values were added under the file's
    /// ([`crate::context::layer`]), if any.
    pub context: Option<PathBuf>,
    /// The options the context contributed (long names).
    pub context_keys: Vec<String>,
    /// Whether the context holds a password or token.
    pub context_secret: bool,
    /// Where the system-wide settings were read, under the context
    /// ([`crate::system_settings`]), if any contributed.
    pub system: Option<PathBuf>,
    /// The keys the system-wide settings contributed.
    pub system_keys: Vec<String>,
    /// The parse of `argv` already made, when the file added nothing to it.
    pub(crate) matches: Option<ArgMatches>,
}

impl Layered {
    /// Drops the parse made before `argv` changed.
    pub(crate) fn forget_matches(&mut self) {
        self.matches = None;
    }

    /// The parse of `argv` that a lower layer (a context, the system-wide
    /// settings) adds to: the one kept when `argv` has not changed since
    /// (one parse less for a one-shot `publisher send`), else a fresh one.
    /// `None`, and nothing to add, when `argv` does not parse (the real
    /// parse will say why) or asks for generated files (the parse is kept).
    pub(crate) fn take_matches_to_layer(&mut self, command: &mut Command) -> Option<ArgMatches> {
        let matches = match self.matches.take() {
            Some(matches) => matches,
            None => command.try_get_matches_from_mut(&self.argv).ok()?,
        };
        if matches.ids().any(|id| id == GENERATE_ID) {
            self.matches = Some(matches);
            return None;
        }
        Some(matches)
    }

    /// The command line as `T`, parsed once when the file added nothing
    /// (start-up time counts for a one-shot `publisher send`). The error is
    /// clap's, formatted for `command`, to print with [`Layered::note`].
    pub fn parse<T: FromArgMatches>(&mut self, mut command: Command) -> Result<T, clap::Error> {
        let matches = match self.matches.take() {
            Some(matches) => Ok(matches),
            None => command.try_get_matches_from_mut(&self.argv),
        };
        let parsed = matches
            .and_then(|m| T::from_arg_matches(&m).map(|t| (t, m)))
            .map_err(|e| e.format(&mut command))?;
        self.matches = Some(parsed.1);
        Ok(parsed.0)
    }

    /// After [`Layered::parse`]: the warnings about secrets this command
    /// line exposes: a password or token in `--server` (or `--token`) typed
    /// on the command line, not in `NATS_URL`, `NATS_TOKEN` or the settings
    /// file; a settings file holding one, or a `--creds`/`--nkey` file, that
    /// other users may read.
    pub fn secret_warnings(&self) -> Vec<crate::logging::Early> {
        use crate::logging::Early;
        let Some(matches) = &self.matches else {
            return Vec::new();
        };
        let from_file = |key: &str| {
            [&self.keys_used, &self.context_keys, &self.system_keys]
                .iter()
                .any(|keys| keys.iter().any(|k| k == key))
        };
        let typed =
            |id: &str| !from_file(id) && source(matches, id) == Some(ValueSource::CommandLine);
        let server_secret = string(matches, "server").is_some_and(|server| {
            crate::connection::ConnectionArgs {
                server,
                ..Default::default()
            }
            .has_url_secret()
        });
        let token = string(matches, "token").is_some();
        let password = string(matches, "password").is_some();
        let mut warnings = Vec::new();
        for (given, what) in [
            (
                server_secret && typed("server"),
                "--server holds a password or token",
            ),
            (token && typed("token"), "--token"),
            (password && typed("password"), "--password"),
        ] {
            if given {
                warnings.push(Early::SecretOnCommandLine(format!(
                    "{what} on the command line, where other users of this machine can read \
                     it (e.g. with ps): give it in NATS_URL (or NATS_TOKEN, NATS_PASSWORD), \
                     the settings file, a nats context, or a --creds file instead"
                )));
            }
        }
        let secret_in = |keys: &[String]| {
            let has = |key: &str| keys.iter().any(|k| k == key);
            (has("server") && server_secret)
                || (has("token") && token)
                || (has("password") && password)
        };
        let mut files: Vec<(PathBuf, &str)> = Vec::new();
        if let (true, Some(file)) = (secret_in(&self.keys_used), &self.file) {
            files.push((file.clone(), "the settings file"));
        }
        // A registry key (Windows) is no file: `readable_by_others` fails on it and is skipped.
        if let (true, Some(system)) = (secret_in(&self.system_keys), &self.system) {
            files.push((system.clone(), "the system-wide settings file"));
        }
        if let (true, Some(context)) = (self.context_secret, &self.context) {
            files.push((context.clone(), "the nats context file"));
        }
        for (id, what) in [("creds", "the --creds file"), ("nkey", "the --nkey file")] {
            // `--creds -`: on stdin, in no file.
            let stdin = |path: &PathBuf| path.as_os_str() == crate::connection::CREDS_FROM_STDIN;
            if let Some(path) = path_value(matches, id).filter(|path| !stdin(path)) {
                files.push((path, what));
            }
        }
        for (path, what) in files {
            if crate::files::readable_by_others(&path).unwrap_or(false) {
                warnings.push(Early::SecretFileReadable(format!(
                    "{what} {} holds a secret and other users may read it: make it private \
                     (chmod 600 {})",
                    path.display(),
                    path.display()
                )));
            }
        }
        warnings
    }

    /// What to print after a parse error of [`Layered::argv`]: when the file
    /// contributed options, that it did, since the error may be about one
    /// of them. `None` for help and version output, or without a file.
    pub fn note(&self, err: &clap::Error) -> Option<String> {
        if !err.use_stderr() {
            return None;
        }
        let notes: Vec<String> = [
            (&self.file, &self.keys_used),
            (&self.context, &self.context_keys),
            (&self.system, &self.system_keys),
        ]
        .into_iter()
        .filter_map(|(file, keys)| match file {
            Some(file) if !keys.is_empty() => Some(tr!(
                "settings-note",
                file = file.display().to_string(),
                keys = keys.join(", ")
            )),
            _ => None,
        })
        .collect();
        (!notes.is_empty()).then(|| notes.join("\n"))
    }
}

/// Adds the settings file's options to `argv` (which must already be in the
/// form the binary's parser takes) under the command line and environment.
///
/// Returns `argv` unchanged when it does not parse (the real parse will say
/// why; asking for help or a version ends clap's parse the same way), when
/// it asks for generated files, or when there is no file.
pub fn layer(
    command: &mut Command,
    argv: Vec<OsString>,
    one_run: OneRun,
) -> Result<Layered, ConfigError> {
    let matches = command.try_get_matches_from_mut(&argv).ok();
    layer_parsed(command, argv, matches, one_run)
}

/// [`layer`], given `command`'s strict parse of `argv` (`None` when it
/// failed): the start-up parses once ([`crate::startup::start`]).
pub(crate) fn layer_parsed(
    command: &mut Command,
    argv: Vec<OsString>,
    matches: Option<ArgMatches>,
    one_run: OneRun,
) -> Result<Layered, ConfigError> {
    let unchanged = |argv, matches| Layered {
        argv,
        file: None,
        keys_used: Vec::new(),
        context: None,
        context_keys: Vec::new(),
        context_secret: false,
        system: None,
        system_keys: Vec::new(),
        matches,
    };
    let Some(matches) = matches else {
        return Ok(unchanged(argv, None));
    };
    if matches.ids().any(|id| id == GENERATE_ID) {
        return Ok(unchanged(argv, Some(matches)));
    }
    let (path, explicit) = match matches.get_one::<PathBuf>(CONFIG_ID) {
        Some(path) => (path.clone(), true),
        None => match default_path(command.get_name()) {
            Some(path) => (path, false),
            None => return Ok(unchanged(argv, Some(matches))),
        },
    };
    let Some(text) = read_text(&path, explicit)? else {
        return Ok(unchanged(argv, Some(matches)));
    };
    let table = parse_toml(&path, &text)?;
    let file = File {
        path: &path,
        text: &text,
        one_run,
    };
    let settings = Settings::read(command, &matches, &file, table)?;
    if settings.keys_used.is_empty() {
        return Ok(Layered {
            file: Some(path),
            ..unchanged(argv, Some(matches))
        });
    }
    Ok(settings.apply(argv, path))
}

/// The text of the settings file at `path`; `None` when it does not exist
/// and was not asked for by name (`explicit`): a default place may be empty.
pub(crate) fn read_text(path: &Path, explicit: bool) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => {
            let context = tr!(
                "settings-unreadable",
                path = path.display().to_string(),
                cause = e.to_string()
            );
            Err(ConfigError::with_context(ConfigErrorKind::Unreadable, context).caused_by(e))
        }
    }
}

/// `text`, read from `path`, as a TOML table; the error says where in the
/// file it fails, and how to quote a string left bare.
pub(crate) fn parse_toml(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    text.parse().map_err(|e: toml::de::Error| {
        let at = e.span().map_or(0, |span| span.start);
        let (line, column) = line_and_column(text, at);
        let cause = unquoted_string(text, at).map_or_else(
            || e.message().to_owned(),
            |(key, value)| {
                tr!(
                    "settings-unquoted",
                    key = key,
                    value = value,
                    cause = e.message()
                )
            },
        );
        let context = tr!(
            "settings-not-toml",
            path = path.display().to_string(),
            line = line,
            column = column,
            cause = cause
        );
        ConfigError::with_context(ConfigErrorKind::NotToml, context).caused_by(e)
    })
}

/// The settings file being read: for errors that say where, and the keys
/// the binary refuses.
pub(crate) struct File<'a> {
    pub(crate) path: &'a Path,
    pub(crate) text: &'a str,
    pub(crate) one_run: OneRun,
}

impl File<'_> {
    /// The error for `key`: `problem`, with the file, the key, and where the
    /// key is in the file.
    fn bad_key(&self, key: &str, problem: &str) -> ConfigError {
        let path = self.path.display().to_string();
        let context = match key_position(self.text, key) {
            Some((line, column)) => tr!(
                "settings-bad-key-at",
                key = key,
                path = path,
                line = line,
                column = column,
                problem = problem
            ),
            None => tr!(
                "settings-bad-key",
                key = key,
                path = path,
                problem = problem
            ),
        };
        ConfigError::with_context(ConfigErrorKind::BadKey, context)
    }
}

/// The file's options to add, split by where they go on the command line.
pub(crate) struct Settings {
    /// Options of the top-level command (including global ones): they go
    /// right after the program name.
    top: Vec<OsString>,
    /// Options of the subcommand being run: they go at its end.
    sub: Vec<OsString>,
    keys_used: Vec<String>,
}

impl Settings {
    pub(crate) fn read(
        command: &Command,
        matches: &ArgMatches,
        file: &File,
        table: toml::Table,
    ) -> Result<Settings, ConfigError> {
        let active = matches
            .subcommand()
            .and_then(|(name, sub_matches)| Some((command.find_subcommand(name)?, sub_matches)));
        let mut settings = Settings {
            top: Vec::new(),
            sub: Vec::new(),
            keys_used: Vec::new(),
        };
        for (key, value) in table {
            let in_file = |problem: &str| file.bad_key(&key, problem);
            if NOT_SETTABLE.contains(&key.as_str()) {
                return Err(in_file(&tr!("settings-command-line-only")));
            }
            if file.one_run.contains(&key.as_str()) {
                return Err(in_file(&tr!("settings-one-run", key = key.as_str())));
            }
            let (arg, given, target) = if let Some(arg) = long_option(command, &key) {
                (arg, matches, &mut settings.top)
            } else if let Some((arg, sub_matches)) =
                active.and_then(|(sub, sub_matches)| Some((long_option(sub, &key)?, sub_matches)))
            {
                (arg, sub_matches, &mut settings.sub)
            } else if command
                .get_subcommands()
                .any(|sub| long_option(sub, &key).is_some())
            {
                continue; // an option of another subcommand
            } else {
                let known = known_keys(command, file.one_run);
                let keys = known.join(", ");
                return Err(in_file(&match nearest(&key, &known) {
                    Some(near) => tr!("settings-did-you-mean", near = near, keys = keys),
                    None => tr!("settings-unknown-key", keys = keys),
                }));
            };
            let from_user = matches!(
                given.value_source(arg.get_id().as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            );
            if from_user {
                continue;
            }
            let words = option_words(arg, &key, value).map_err(|p| in_file(&p))?;
            if !words.is_empty() {
                target.extend(words);
                settings.keys_used.push(key);
            }
        }
        Ok(settings)
    }

    fn apply(self, mut argv: Vec<OsString>, path: PathBuf) -> Layered {
        let keys_used = self.splice_into(&mut argv);
        Layered {
            argv,
            file: Some(path),
            keys_used,
            context: None,
            context_keys: Vec::new(),
            context_secret: false,
            system: None,
            system_keys: Vec::new(),
            matches: None,
        }
    }

    /// Puts the options into `argv` where each belongs; returns the keys used.
    pub(crate) fn splice_into(self, argv: &mut Vec<OsString>) -> Vec<String> {
        let end = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        argv.splice(end..end, self.sub);
        let start = 1.min(argv.len());
        argv.splice(start..start, self.top);
        self.keys_used
    }
}

/// The matches of `matches` and of each subcommand below it.
fn levels(matches: &ArgMatches) -> impl Iterator<Item = &ArgMatches> {
    std::iter::successors(Some(matches), |m| m.subcommand().map(|(_, sub)| sub))
}

/// Where the value of option `id` came from, at the deepest level that has one.
pub(crate) fn source(matches: &ArgMatches, id: &str) -> Option<ValueSource> {
    levels(matches)
        .filter_map(|m| m.try_contains_id(id).ok().and_then(|_| m.value_source(id)))
        .last()
}

/// The string value of option `id`, if it is one of this command's.
pub(crate) fn string(matches: &ArgMatches, id: &str) -> Option<String> {
    levels(matches)
        .filter_map(|m| m.try_get_one::<String>(id).ok().flatten().cloned())
        .last()
}

/// The path value of option `id`, if it is one of this command's.
fn path_value(matches: &ArgMatches, id: &str) -> Option<PathBuf> {
    levels(matches)
        .filter_map(|m| m.try_get_one::<PathBuf>(id).ok().flatten().cloned())
        .last()
}

/// The id of the option whose long name is `key`, in `command` or in the
/// subcommand `matches` runs.
pub(crate) fn option_id(command: &Command, matches: &ArgMatches, key: &str) -> Option<String> {
    let sub = matches
        .subcommand_name()
        .and_then(|name| command.find_subcommand(name));
    std::iter::once(command)
        .chain(sub)
        .find_map(|command| long_option(command, key))
        .map(|arg| arg.get_id().to_string())
}

/// The option of `command` whose long name is `key`, unless a file may not set it.
fn long_option<'a>(command: &'a Command, key: &str) -> Option<&'a Arg> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(key) && !NOT_SETTABLE.contains(&key))
}

/// Every key a file may use: the long options of the command and of its
/// subcommands, but those only the command line may give.
fn known_keys(command: &Command, one_run: OneRun) -> Vec<String> {
    let mut keys: Vec<String> = std::iter::once(command)
        .chain(command.get_subcommands())
        .flat_map(Command::get_arguments)
        .filter_map(Arg::get_long)
        .filter(|long| !NOT_SETTABLE.contains(long) && !one_run.contains(long))
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// The known key nearest to a misspelt one, if one is near enough.
fn nearest<'a>(key: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro(key, k), k))
        .filter(|(similarity, _)| *similarity > SUGGESTION_SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.as_str())
}

/// The line and column (from 1, in characters) of byte `at` of `text`.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Where top-level `key` is written in `text` (line and column), if the
/// text parses.
fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let table = toml::de::DeTable::parse(text).ok()?;
    let (spanned, _) = table.get_ref().iter().find(|(k, _)| k.get_ref() == key)?;
    Some(line_and_column(text, spanned.span().start))
}

/// The key and value of the line at byte `at` when that line is `key =
/// value` with a value TOML refuses that would be fine quoted (`server =
/// nats://h:4222`): the mistake TOML itself words as "invalid float" and
/// the like.
fn unquoted_string(text: &str, at: usize) -> Option<(String, String)> {
    let (line, _) = line_and_column(text, at);
    let (key, value) = text.lines().nth(line - 1)?.split_once('=')?;
    let (key, value) = (key.trim(), value.trim());
    let starts_a_string_or_list = value.starts_with(['"', '\'', '[', '{']);
    if key.is_empty() || value.is_empty() || starts_a_string_or_list {
        return None;
    }
    let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let fixed = format!("{key} = {quoted}");
    fixed
        .parse::<toml::Table>()
        .is_ok()
        .then(|| (key.to_owned(), quoted))
}

/// `--key=value` words for one setting: a list gives the option once per
/// element; `true` gives a flag (or an option whose value is optional)
/// without a value, and `false` gives nothing.
fn option_words(arg: &Arg, key: &str, value: toml::Value) -> Result<Vec<OsString>, String> {
    let takes_values = arg.get_action().takes_values();
    let value_optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
    match value {
        toml::Value::Boolean(on) if !takes_values || value_optional => Ok(if on {
            vec![format!("--{key}").into()]
        } else {
            vec![]
        }),
        _ if !takes_values => Err(tr!("settings-flag")),
        toml::Value::Array(items) => {
            if !matches!(arg.get_action(), ArgAction::Append) && items.len() != 1 {
                return Err(tr!("settings-not-a-list"));
            }
            items
                .into_iter()
                .map(|item| Ok(format!("--{key}={}", scalar(item)?).into()))
                .collect()
        }
        value => Ok(vec![format!("--{key}={}", scalar(value)?).into()]),
    }
}

/// A value as it would be typed on the command line.
fn scalar(value: toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Array(_) | toml::Value::Table(_) => Err(tr!("settings-bad-value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser, Subcommand};
    use std::io::Write;

    /// Help names a default under the home directory as `~` and the rest
    /// (so man pages do not carry one user's home), and shows any other
    /// path whole.
    #[test]
    fn defaults_are_shown_from_the_home_directory() {
        let home = dirs::home_dir().expect("a home directory");
        let under = home.join("cfg").join("remote-message").join("x.toml");
        let expected = Path::new("~")
            .join("cfg")
            .join("remote-message")
            .join("x.toml");
        assert_eq!(shown_path(&under), expected.display().to_string());
        // The root the home directory is on (`/`, `C:\`): not under home.
        let root = home.ancestors().last().unwrap();
        let elsewhere = root.join("x.toml");
        assert_eq!(shown_path(&elsewhere), elsewhere.display().to_string());
        let help = config_help();
        assert!(help.contains("[default: ~"), "{help}");
    }

    /// A small command line shaped like the real ones.
    #[derive(Debug, Parser)]
    #[command(name = "toy")]
    struct Toy {
        #[arg(
            long,
            env = "RM_CONFIG_TEST_SERVER",
            default_value = "nats://default",
            global = true
        )]
        server: String,
        #[arg(long = "label")]
        labels: Vec<String>,
        #[arg(long, value_enum, default_value = "auto")]
        output: ToyOutput,
        #[command(flatten)]
        config: ConfigArgs,
        #[command(subcommand)]
        command: Option<ToyCommand>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
    enum ToyOutput {
        Auto,
        Json,
    }

    #[derive(Debug, Subcommand)]
    enum ToyCommand {
        Send {
            message: String,
            #[arg(long)]
            sender: Option<String>,
            #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "5s")]
            wait: Option<String>,
            #[arg(long)]
            json: bool,
        },
        Sessions {
            #[arg(long)]
            json: bool,
            #[arg(long)]
            user: Vec<String>,
        },
    }

    fn file(toml: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(toml.as_bytes()).unwrap();
        f
    }

    fn parse(toml: &str, args: &[&str]) -> Result<Toy, String> {
        let f = file(toml);
        let mut argv: Vec<OsString> = vec!["toy".into(), "--config".into(), f.path().into()];
        argv.extend(args.iter().map(OsString::from));
        let layered = layer(&mut Toy::command(), argv, &[]).map_err(|e| e.to_string())?;
        Toy::try_parse_from(layered.argv).map_err(|e| e.to_string())
    }

    /// A setting comes from the command line, else the environment, else the file, else
    /// the default.
    #[test]
    fn command_line_beats_environment_beats_file_beats_default() {
        // The environment variable is only ever set by this test.
        let env = "RM_CONFIG_TEST_SERVER";
        assert_eq!(parse("", &[]).unwrap().server, "nats://default");
        assert_eq!(
            parse(r#"server = "nats://file""#, &[]).unwrap().server,
            "nats://file"
        );
        std::env::set_var(env, "nats://env");
        let from_env = parse(r#"server = "nats://file""#, &[]).unwrap().server;
        let from_cli = parse(r#"server = "nats://file""#, &["--server", "nats://cli"])
            .unwrap()
            .server;
        std::env::remove_var(env);
        assert_eq!(
            (from_env.as_str(), from_cli.as_str()),
            ("nats://env", "nats://cli")
        );
    }

    /// A list in the file repeats the option; a list on the command line replaces it.
    #[test]
    fn lists_repeat_the_option_and_the_command_line_replaces_them() {
        let toml = r#"label = ["dept=sales", "floor=2"]"#;
        assert_eq!(parse(toml, &[]).unwrap().labels, ["dept=sales", "floor=2"]);
        assert_eq!(parse(toml, &["--label", "x=y"]).unwrap().labels, ["x=y"]);
        assert_eq!(
            parse(r#"label = "solo=1""#, &[]).unwrap().labels,
            ["solo=1"]
        );
    }

    /// The file sets the running subcommand's options, flags (`true`/`false`) and options
    /// whose value is optional; another subcommand's options are skipped.
    #[test]
    fn subcommand_options_flags_and_optional_values() {
        let toml = "sender = \"ops@file\"\nwait = \"10s\"\njson = true\n";
        let Some(ToyCommand::Send {
            message,
            sender,
            wait,
            json,
        }) = parse(toml, &["send", "--", "--hi"]).unwrap().command
        else {
            panic!("not send")
        };
        assert_eq!(
            (message.as_str(), sender.as_deref(), wait.as_deref(), json),
            ("--hi", Some("ops@file"), Some("10s"), true)
        );
        let Some(ToyCommand::Send { wait, json, .. }) =
            parse("wait = true\njson = false", &["send", "x"])
                .unwrap()
                .command
        else {
            panic!("not send")
        };
        assert_eq!((wait.as_deref(), json), (Some("5s"), false));
        // `sender` is an option of `send` only: another subcommand ignores it.
        assert!(parse(toml, &["sessions"]).is_ok());
    }

    /// An unknown key is an error naming it, the file and the known keys; keys only the
    /// command line may set, and tables, are refused.
    #[test]
    fn unknown_keys_name_the_key_and_the_file() {
        let f = file("servre = \"nats://typo\"\n");
        let argv: Vec<OsString> = vec!["toy".into(), "--config".into(), f.path().into()];
        let err = layer(&mut Toy::command(), argv, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`servre`"), "{err}");
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(err.contains("server"), "lists the known keys: {err}");
        for key in ["config = \"x\"", "help = true", "[table]\nx = 1"] {
            assert!(parse(key, &[]).is_err(), "{key}");
        }
    }

    /// `layer` with the file `toml` and the keys `one_run` refused: the error's text.
    fn refusal(toml: &str, one_run: OneRun, args: &[&str]) -> String {
        let f = file(toml);
        let mut argv: Vec<OsString> = vec!["toy".into(), "--config".into(), f.path().into()];
        argv.extend(args.iter().map(OsString::from));
        crate::lang::errors_in(crate::lang::Lang::En, || {
            let err = layer(&mut Toy::command(), argv, one_run).unwrap_err();
            assert_eq!(err.kind(), ConfigErrorKind::BadKey);
            err.to_string()
        })
    }

    /// A key the binary keeps for one run is refused in a file, naming it,
    /// where it is and the option to type instead, whichever subcommand
    /// runs; it is neither listed nor suggested as a known key.
    #[test]
    fn one_run_keys_are_refused_naming_the_key_and_its_line() {
        let toml = "server = \"nats://file\"\njson = true\n";
        for args in [&["send", "hi"][..], &["sessions"]] {
            let err = refusal(toml, &["json"], args);
            assert!(
                err.contains("key `json` in the settings file")
                    && err.contains(", line 2, column 1: targets or identifies one run")
                    && err.contains("give --json on the command line"),
                "{err}"
            );
        }
        assert!(
            parse(toml, &["sessions"]).is_ok(),
            "a key like any other without the rule"
        );
        let err = refusal("jsn = true\n", &["json"], &[]);
        assert!(!err.contains("json"), "{err}");
    }

    /// A misspelt key gets the nearest known one, and where it is; a key
    /// near none gets the list alone.
    #[test]
    fn misspelt_keys_get_the_nearest_known_one() {
        let err = refusal("# ops\n  sever = \"nats://typo\"\n", &[], &[]);
        assert!(
            err.contains("key `sever`")
                && err.contains("line 2, column 3")
                && err.contains("did you mean `server`?"),
            "{err}"
        );
        let err = refusal("zzz = 1\n", &[], &[]);
        assert!(!err.contains("did you mean"), "{err}");
        assert_eq!(
            nearest("lables", &["label".into(), "lang".into()]),
            Some("label")
        );
    }

    /// A file that is not TOML is named with the line and column of the
    /// mistake; an unquoted text value (a URL, a duration) is shown as it
    /// should be written, quoted.
    #[test]
    fn toml_errors_say_where_and_unquoted_values_how_to_quote_them() {
        let err = crate::lang::errors_in(crate::lang::Lang::En, || {
            parse(
                "output = \"json\"\nserver = nats://nats.example:4222\n",
                &[],
            )
            .unwrap_err()
        });
        assert!(
            err.contains(
                "is not valid TOML, line 2, column 10: a text value must be quoted: \
                 write server = \"nats://nats.example:4222\""
            ),
            "{err}"
        );
        let err = parse("label = [\"a=b\",\n", &[]).unwrap_err();
        assert!(
            err.contains("line 1, column 16") && !err.contains("must be quoted"),
            "{err}"
        );
        assert_eq!(
            line_and_column("a\né = 1", 4),
            (2, 2),
            "characters, not bytes"
        );
    }

    /// A list for a single option and a file that is not TOML are errors; a bad value
    /// reaches clap, which names it.
    #[test]
    fn wrong_shapes_are_errors_and_bad_values_reach_the_real_parser() {
        assert!(parse("output = [\"json\", \"auto\"]", &[])
            .unwrap_err()
            .contains("one value"));
        assert!(parse("output = \"json\"", &[]).unwrap().output == ToyOutput::Json);
        let err = parse("output = \"bogus\"", &[]).unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        assert!(parse("not toml at all", &[])
            .unwrap_err()
            .contains("not valid TOML"));
    }

    /// A `--config` file that does not exist is an error; a missing default file is not.
    #[test]
    fn an_explicit_file_must_exist_a_default_one_need_not() {
        let argv: Vec<OsString> = ["toy", "--config", "/nonexistent/x.toml"]
            .iter()
            .map(OsString::from)
            .collect();
        let err = layer(&mut Toy::command(), argv, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.toml"), "{err}");
        let layered = layer(&mut Toy::command(), vec!["toy".into()], &[]).unwrap();
        assert_eq!(layered.argv, ["toy"]);
    }

    /// A command that parses `--generate` itself (no subcommand required)
    /// does not read the settings file for it either.
    #[test]
    fn a_parsed_generate_request_skips_the_file() {
        #[derive(Debug, Parser)]
        #[command(name = "gen")]
        struct Gen {
            #[command(flatten)]
            config: ConfigArgs,
            #[command(flatten)]
            generate: crate::generate::GenerateArgs,
        }
        let broken = file("not toml");
        let argv: Vec<OsString> = vec![
            "gen".into(),
            "--config".into(),
            broken.path().into(),
            "--generate".into(),
            "man".into(),
        ];
        let layered = layer(&mut Gen::command(), argv.clone(), &[]).unwrap();
        assert_eq!((layered.argv, layered.file), (argv, None));
        let argv: Vec<OsString> = vec!["gen".into(), "--config".into(), broken.path().into()];
        assert!(layer(&mut Gen::command(), argv, &[]).is_err());
    }

    /// Help, version and `--generate` are answered without reading the settings file.
    #[test]
    fn help_and_generate_skip_the_file() {
        for flag in ["--help", "--generate=man", "--version"] {
            let argv: Vec<OsString> = ["toy", "--config", "/nonexistent", flag]
                .iter()
                .map(OsString::from)
                .collect();
            assert!(layer(&mut Toy::command(), argv, &[]).is_ok(), "{flag}");
        }
    }
}
