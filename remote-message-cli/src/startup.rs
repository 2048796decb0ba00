//! From the raw arguments to a parsed command line, the same way for both
//! binaries: answer `--generate`, add the settings file's options, then the
//! `nats` context's, parse,
//! and note (for the log) any secret the command line or a file exposes.
//! Nothing here ends the process: what would end it before the command runs
//! (help, a version, generated files, a usage or settings error) comes back
//! as an [`Exit`], which the binary's `main` reports and returns; under
//! `--json` a usage or settings error is also the error object on stdout.

use crate::config::{self, Layered, OneRun};
use crate::exit::ExitCode;
use crate::generate::{self, Kind};
use crate::help;
use crate::i18n::tr;
use crate::lang::Lang;
use crate::logging::LogFormat;
use clap::{ArgMatches, Command, FromArgMatches};
use std::ffi::OsString;
use std::io::Write;

/// The process is done before its command runs: what to print, and the
/// exit code.
#[derive(Debug)]
pub struct Exit(Outcome);

#[derive(Debug)]
enum Outcome {
    /// clap's own output: help and version on stdout (exit 0), a usage
    /// error on stderr (exit 2), with a note when the settings file added
    /// options.
    Clap {
        error: clap::Error,
        note: Option<String>,
    },
    /// `<binary>: <error>` on stderr, exit 2: a bad settings file, or an
    /// unknown `--generate` kind.
    Usage {
        binary: String,
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Completions or the man page for `command`, on stdout.
    Generate { command: Box<Command>, kind: Kind },
}

impl Exit {
    /// Prints what this exit has to say and returns the process exit code:
    /// for `main` to return.
    pub fn report(self) -> i32 {
        self.report_to(&mut std::io::stdout().lock(), false)
    }

    /// [`Exit::report`] for a command line that asks for `--json`: a usage
    /// or settings error is also one JSON object on stdout
    /// ([`crate::exit::JsonError`]). Help and versions stay text.
    pub fn report_as_json(self) -> i32 {
        self.report_to(&mut std::io::stdout().lock(), true)
    }

    /// [`Exit::report`], generated files and `json` errors written to `out`
    /// (clap's output and errors still go where clap sends them).
    fn report_to(self, out: &mut dyn Write, json: bool) -> i32 {
        let usage_as_json = |out: &mut dyn Write, message: String| {
            if json {
                let line = ExitCode::Usage.json_error(message).line();
                let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
            }
            ExitCode::Usage.code()
        };
        match self.0 {
            Outcome::Clap { error, note } => {
                let _ = error.print();
                if let Some(note) = &note {
                    eprintln!("{note}");
                }
                match error.exit_code() {
                    0 => 0,
                    _ => usage_as_json(out, one_line(&error, note.as_deref())),
                }
            }
            Outcome::Usage { binary, error } => {
                eprintln!("{binary}: {error}");
                usage_as_json(out, error.to_string())
            }
            Outcome::Generate { command, kind } => {
                let name = command.get_name().to_owned();
                match generate::write(*command, kind, out).and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::Ok.code(),
                    Err(e) => {
                        let text = tr!("startup-stdout", cause = e.to_string());
                        eprintln!("{name}: {text}");
                        ExitCode::Failure.code()
                    }
                }
            }
        }
    }
}

/// A binary's command line as [`start`] takes it: each binary has one.
#[derive(Clone, Copy)]
pub struct Definition {
    /// Makes the clap command from its derive (e.g. `Cli::command`): what
    /// a command line that parses is parsed with.
    pub command: fn() -> Command,
    /// Paths of the subcommands that never connect, whose help hides the
    /// connection options ([`help::finish`]).
    pub offline: &'static [&'static [&'static str]],
    /// The options its settings file may not hold.
    pub one_run: OneRun,
}

impl Definition {
    /// The command as help, usage lines after an error, the man page and
    /// completions show it ([`help::finish`]). Made only when one of those
    /// is asked for: a command line that parses never pays for it.
    pub fn finished(&self) -> Command {
        help::finish((self.command)(), self.offline)
    }
}

/// clap's error as one line, for a JSON message: its paragraphs (the
/// error, a tip) joined by `; `, each on one line, without the `error: `
/// prefix and the usage clap adds; then the settings file's `note`.
fn one_line(error: &clap::Error, note: Option<&str>) -> String {
    let rendered = error.render().to_string();
    let before_usage = rendered.split("\n\nUsage:").next().unwrap_or_default();
    let what = before_usage
        .trim()
        .strip_prefix("error: ")
        .unwrap_or(before_usage.trim());
    what.split("\n\n")
        .map(|paragraph| {
            let lines: Vec<&str> = paragraph.lines().map(str::trim).collect();
            lines.join(" ").trim().to_owned()
        })
        .chain(note.map(str::to_owned))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The command line read once, strictly, before anything else: what
/// [`Start::early_choice`] and [`Start::parse`] both use, so that a
/// one-shot `publisher send` builds and parses its command line once
/// (each parse costs about 0.1 ms of start-up).
pub struct Start {
    definition: Definition,
    command: Command,
    argv: Vec<OsString>,
    /// `command`'s parse of `argv`; `None` when clap refused it (or
    /// answered help or a version): [`Start::parse`] reports why.
    matches: Option<ArgMatches>,
}

/// Parses `argv` (already in the form the binary's parser takes) with the
/// binary's command, once: for [`Start::early_choice`], then [`Start::parse`].
pub fn start(definition: Definition, argv: Vec<OsString>) -> Start {
    let mut command = (definition.command)();
    // Generated files are made from the command as defined, not as built
    // for a parse.
    let matches = match generate::requested(&argv) {
        Some(_) => None,
        None => command.try_get_matches_from_mut(&argv).ok(),
    };
    Start {
        definition,
        command,
        argv,
        matches,
    }
}

impl Start {
    /// [`early_choice`], read from the parse already made when it
    /// succeeded.
    pub fn early_choice(&self) -> (Lang, LogFormat) {
        match &self.matches {
            Some(matches) => choice_in(matches),
            None => early_choice(&self.command, &self.argv),
        }
    }

    /// [`parse`], reusing the parse already made when nothing (a settings
    /// file, a nats context) adds to the command line.
    pub fn parse<T: FromArgMatches>(self) -> Result<T, Exit> {
        parse_from(self.definition, self.command, self.argv, self.matches)
    }
}

/// Parses `argv` (already in the form the binary's parser takes) with
/// `command`, the settings file's options added under the command line and
/// the environment.
pub fn parse<T: FromArgMatches>(definition: Definition, argv: Vec<OsString>) -> Result<T, Exit> {
    start(definition, argv).parse()
}

/// [`parse`], given `command`'s strict parse of `argv` if it succeeded.
fn parse_from<T: FromArgMatches>(
    definition: Definition,
    mut command: Command,
    argv: Vec<OsString>,
    matches: Option<ArgMatches>,
) -> Result<T, Exit> {
    let usage = |command: &Command, error: Box<dyn std::error::Error + Send + Sync>| {
        Exit(Outcome::Usage {
            binary: command.get_name().to_owned(),
            error,
        })
    };
    match generate::requested(&argv) {
        Some(Ok(kind)) => {
            return Err(Exit(Outcome::Generate {
                command: Box::new(definition.finished()),
                kind,
            }))
        }
        Some(Err(unknown)) => return Err(usage(&command, unknown.into())),
        None => {}
    }
    let layered: Layered = config::layer_parsed(&mut command, argv, matches, definition.one_run)
        .map_err(|e| usage(&command, e.into()))?;
    let layered = crate::context::layer(&mut command, layered, crate::context::root().as_deref())
        .map_err(|e| usage(&command, e.into()))?;
    let mut layered = crate::system_settings::layer(&mut command, layered, definition.one_run)
        .map_err(|e| usage(&command, e.into()))?;
    // Refused, or help or a version asked for: parsed again with the
    // finished command, whose help and usage lines are the ones to show.
    let parsed = layered
        .parse(command)
        .or_else(|_| layered.parse(definition.finished()))
        .map_err(|error| {
            Exit(Outcome::Clap {
                note: layered.note(&error),
                error,
            })
        })?;
    // Logged once logging starts (`logging::init`).
    for warning in layered.secret_warnings() {
        crate::logging::defer(warning);
    }
    Ok(parsed)
}

/// The language and log format `argv` asks for (`--lang` or
/// `REMOTE_MESSAGE_LANG`, else the OS's; `--log-format` or its variable),
/// read leniently before [`parse`]: for the errors [`parse`] itself may
/// report (a bad settings file or nats context), which come before the
/// command line is known. A settings file's `lang` is not seen here.
pub fn early_choice(command: &Command, argv: &[OsString]) -> (Lang, LogFormat) {
    let Ok(matches) = command
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(argv)
    else {
        return (Lang::of_os(), LogFormat::default());
    };
    choice_in(&matches)
}

/// The language and log format `matches` (a lenient or a strict parse)
/// ask for, else the OS's language and text.
fn choice_in(matches: &ArgMatches) -> (Lang, LogFormat) {
    // Global options end up in the innermost subcommand's matches.
    let mut innermost = matches;
    while let Some((_, sub)) = innermost.subcommand() {
        innermost = sub;
    }
    let lang = [innermost, matches]
        .into_iter()
        .find_map(|m| m.try_get_one::<Lang>("lang").ok().flatten().copied())
        .unwrap_or_else(Lang::of_os);
    let log_format = [innermost, matches]
        .into_iter()
        .find_map(|m| {
            m.try_get_one::<LogFormat>("log_format")
                .ok()
                .flatten()
                .copied()
        })
        .unwrap_or_default();
    (lang, log_format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigArgs;
    use crate::generate::GenerateArgs;
    use clap::{CommandFactory, Parser, Subcommand};

    /// Shaped like `publisher`: a required subcommand, settings, generate,
    /// the language and the log format.
    #[derive(Debug, Parser)]
    #[command(name = "toy")]
    struct Toy {
        #[arg(long, global = true, default_value = "nats://default")]
        server: String,
        #[command(flatten)]
        lang: crate::lang::LangArgs,
        #[command(flatten)]
        log: crate::logging::LogArgs,
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        generate: GenerateArgs,
        #[command(subcommand)]
        command: ToyCommand,
    }

    #[derive(Debug, Subcommand)]
    enum ToyCommand {
        /// Send it
        Send {
            message: String,
            #[arg(long, value_parser = crate::values::priority())]
            priority: Option<remote_message::Priority>,
        },
    }

    const TOY: Definition = Definition {
        command: Toy::command,
        offline: &[],
        one_run: &[],
    };

    fn parse_toy(words: &[&str]) -> Result<Toy, Exit> {
        parse(TOY, words.iter().map(OsString::from).collect())
    }

    fn settings(toml: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), toml).unwrap();
        file
    }

    /// A plain command line parses, the settings file's options under it.
    #[test]
    fn a_command_line_parses_with_its_settings() {
        let file = settings("server = \"nats://file\"\n");
        let path = file.path().to_str().unwrap();
        let toy = parse_toy(&["toy", "--config", path, "send", "hi"]).unwrap();
        assert_eq!(toy.server, "nats://file");
        let toy = parse_toy(&[
            "toy",
            "--config",
            path,
            "--server",
            "nats://cli",
            "send",
            "hi",
        ])
        .unwrap();
        assert_eq!(toy.server, "nats://cli");
    }

    /// `--generate` needs no subcommand and ignores a broken settings file:
    /// reporting it writes the man page and returns 0.
    #[test]
    fn generate_needs_no_subcommand_and_writes_on_report() {
        let file = settings("not toml");
        let path = file.path().to_str().unwrap();
        let exit = parse_toy(&["toy", "--config", path, "--generate", "man"]).unwrap_err();
        assert!(matches!(
            exit.0,
            Outcome::Generate {
                kind: Kind::Man,
                ..
            }
        ));
        let mut out = Vec::new();
        assert_eq!(exit.report_to(&mut out, false), 0);
        let man = String::from_utf8(out).unwrap();
        assert!(
            man.contains(".TH toy") && man.contains(".TH toy-send"),
            "{man}"
        );
    }

    /// An unknown `--generate` kind and a bad settings file are usage
    /// errors (exit 2) whose message names what is wrong.
    #[test]
    fn bad_generate_kinds_and_settings_files_are_usage_errors() {
        let exit = parse_toy(&["toy", "--generate", "complete-tcsh"]).unwrap_err();
        let Outcome::Usage { binary, error } = &exit.0 else {
            panic!("{exit:?}")
        };
        assert_eq!(binary, "toy");
        assert!(error.to_string().contains("\"complete-tcsh\""), "{error}");
        let file = settings("sevrer = \"x\"\n");
        let path = file.path().to_str().unwrap();
        let exit = parse_toy(&["toy", "--config", path, "send", "hi"]).unwrap_err();
        let Outcome::Usage { error, .. } = &exit.0 else {
            panic!("{exit:?}")
        };
        assert!(error.to_string().contains("`sevrer`"), "{error}");
        let mut out = Vec::new();
        assert_eq!(exit.report_to(&mut out, false), 2);
        assert!(out.is_empty(), "nothing on stdout");
    }

    /// A value from the settings file that clap refuses is clap's usage
    /// error (exit 2) plus a note naming the file and its keys; help is
    /// clap's output with exit 0 and no note.
    #[test]
    fn parse_errors_note_the_settings_files_keys() {
        let file = settings("priority = \"loud\"\n");
        let path = file.path().to_str().unwrap();
        let exit = parse_toy(&["toy", "--config", path, "send", "hi"]).unwrap_err();
        let Outcome::Clap { error, note } = &exit.0 else {
            panic!("{exit:?}")
        };
        assert_eq!(error.exit_code(), 2);
        assert_eq!(
            note.as_deref(),
            Some(format!("note: these options came from {path}: priority").as_str())
        );
        let exit = parse_toy(&["toy", "--config", path, "send", "--help"]).unwrap_err();
        let Outcome::Clap { error, note } = &exit.0 else {
            panic!("{exit:?}")
        };
        assert_eq!((error.exit_code(), note), (0, &None));
    }

    /// Reported as JSON, a usage error clap finds (with a tip, and the
    /// settings file's note) and a bad settings file are each one error
    /// object on one line, exit 2, the message on one line without clap's
    /// usage; help stays text, and without JSON nothing goes to stdout.
    #[test]
    fn usage_errors_reported_as_json_are_one_object() {
        let json = |exit: Exit| {
            let mut out = Vec::new();
            let code = exit.report_to(&mut out, true);
            (code, String::from_utf8(out).unwrap())
        };
        let (code, out) = json(parse_toy(&["toy", "send", "hi", "--jsn"]).unwrap_err());
        assert_eq!(code, 2);
        assert!(
            out.ends_with("}\n") && out.matches('\n').count() == 1,
            "{out}"
        );
        let object: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (&object["error"]["exit_code"], &object["error"]["kind"]),
            (&serde_json::json!(2), &serde_json::json!("usage"))
        );
        let message = object["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("unexpected argument '--jsn' found"),
            "{message}"
        );
        assert!(
            !message.contains("Usage:") && !message.contains('\n'),
            "{message}"
        );

        let file = settings("priority = \"loud\"\n");
        let path = file.path().to_str().unwrap();
        let (code, out) = json(parse_toy(&["toy", "--config", path, "send", "hi"]).unwrap_err());
        let object: serde_json::Value = serde_json::from_str(&out).unwrap();
        let message = object["error"]["message"].as_str().unwrap();
        assert_eq!(code, 2);
        assert!(
            message.starts_with("invalid value 'loud' for '--priority"),
            "{message}"
        );
        assert!(
            message.ends_with(&format!("; note: these options came from {path}: priority")),
            "{message}"
        );

        let file = settings("sevrer = \"x\"\n");
        let path = file.path().to_str().unwrap();
        let (code, out) = json(parse_toy(&["toy", "--config", path, "send", "hi"]).unwrap_err());
        let object: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (code, &object["error"]["kind"]),
            (2, &serde_json::json!("usage"))
        );
        assert!(
            object["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`sevrer`"),
            "{object}"
        );

        let (code, out) = json(parse_toy(&["toy", "send", "--help"]).unwrap_err());
        assert_eq!((code, out.as_str()), (0, ""), "help is clap's text");
        let mut out = Vec::new();
        let bogus = parse_toy(&["toy", "send", "hi", "--jsn"]).unwrap_err();
        assert_eq!(bogus.report_to(&mut out, false), 2);
        assert!(out.is_empty(), "without --json, stdout stays empty");
    }

    /// `--lang` and `--log-format` are read before the real parse, from
    /// anywhere on the command line, even one clap would refuse; without
    /// them, the OS's language and text.
    #[test]
    fn early_choice_reads_lang_and_log_format_leniently() {
        #[derive(Debug, Parser)]
        #[command(name = "toy")]
        struct Toy {
            #[command(flatten)]
            lang: crate::lang::LangArgs,
            #[command(flatten)]
            log: crate::logging::LogArgs,
            #[command(subcommand)]
            command: ToyCommand,
        }
        let early = |words: &[&str]| {
            let argv: Vec<OsString> = words.iter().map(OsString::from).collect();
            early_choice(&Toy::command(), &argv)
        };
        assert_eq!(
            early(&["toy", "send", "hi", "--lang", "fr", "--bogus"]),
            (Lang::Fr, LogFormat::Text)
        );
        assert_eq!(
            early(&["toy", "--lang=es", "--log-format", "json", "send", "hi"]),
            (Lang::Es, LogFormat::Json)
        );
        // No --lang: REMOTE_MESSAGE_LANG may be set where tests run, so only the format is sure.
        assert_eq!(early(&["toy", "send", "hi"]).1, LogFormat::Text);
    }

    /// The one parse `start` makes gives the same early choice as the
    /// lenient read, and the same parsed command line as `parse`; a command
    /// line clap refuses still gets its language leniently, and the usage
    /// error from `parse`.
    #[test]
    fn start_parses_once_for_the_early_choice_and_the_command() {
        let argv = |words: &[&str]| -> Vec<OsString> { words.iter().map(OsString::from).collect() };
        let file = settings("");
        let path = file.path().to_str().unwrap();
        let good = argv(&[
            "toy",
            "--lang",
            "fr",
            "--log-format",
            "json",
            "--config",
            path,
            "send",
            "hi",
        ]);
        let started = start(TOY, good.clone());
        assert!(started.matches.is_some(), "parsed once, up front");
        assert_eq!(started.early_choice(), (Lang::Fr, LogFormat::Json));
        assert_eq!(started.early_choice(), early_choice(&Toy::command(), &good));
        let toy: Toy = started.parse().unwrap();
        let again: Toy = parse(TOY, good).unwrap();
        assert_eq!(
            (toy.server.as_str(), toy.lang.lang, toy.log.log_format),
            ("nats://default", Some(Lang::Fr), LogFormat::Json)
        );
        assert_eq!(
            (again.server, again.lang.lang, again.log.log_format),
            (toy.server, toy.lang.lang, toy.log.log_format)
        );

        let bad = argv(&["toy", "--lang", "es", "send", "hi", "--bogus"]);
        let started = start(TOY, bad);
        assert!(started.matches.is_none(), "clap refused it");
        assert_eq!(started.early_choice().0, Lang::Es);
        let Err(exit) = started.parse::<Toy>() else {
            panic!("--bogus is refused")
        };
        let Outcome::Clap { error, .. } = &exit.0 else {
            panic!("{exit:?}")
        };
        assert_eq!(error.exit_code(), 2);
    }
}
