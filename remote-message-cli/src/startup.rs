//! From the raw arguments to a parsed command line, the same way for both
//! binaries: answer `--generate`, add the settings file's options, parse.
//! Nothing here ends the process: what would end it before the command runs
//! (help, a version, generated files, a usage or settings error) comes back
//! as an [`Exit`], which the binary's `main` reports and returns.

use crate::config::{self, Layered};
use crate::exit::ExitCode;
use crate::generate::{self, Kind};
use clap::{Command, FromArgMatches};
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
        self.report_to(&mut std::io::stdout().lock())
    }

    /// [`Exit::report`], generated files written to `out` (clap's output
    /// and errors still go where clap sends them).
    fn report_to(self, out: &mut dyn Write) -> i32 {
        match self.0 {
            Outcome::Clap { error, note } => {
                let _ = error.print();
                if let Some(note) = note {
                    eprintln!("{note}");
                }
                error.exit_code()
            }
            Outcome::Usage { binary, error } => {
                eprintln!("{binary}: {error}");
                ExitCode::Usage.code()
            }
            Outcome::Generate { command, kind } => {
                let name = command.get_name().to_owned();
                match generate::write(*command, kind, out).and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::Ok.code(),
                    Err(e) => {
                        eprintln!("{name}: cannot write to stdout: {e}");
                        ExitCode::Failure.code()
                    }
                }
            }
        }
    }
}

/// Parses `argv` (already in the form the binary's parser takes) with
/// `command`, the settings file's options added under the command line and
/// the environment.
pub fn parse<T: FromArgMatches>(mut command: Command, argv: Vec<OsString>) -> Result<T, Exit> {
    let usage = |command: &Command, error: Box<dyn std::error::Error + Send + Sync>| {
        Exit(Outcome::Usage {
            binary: command.get_name().to_owned(),
            error,
        })
    };
    match generate::requested(&argv) {
        Some(Ok(kind)) => {
            return Err(Exit(Outcome::Generate {
                command: Box::new(command),
                kind,
            }))
        }
        Some(Err(unknown)) => return Err(usage(&command, unknown.into())),
        None => {}
    }
    let mut layered: Layered =
        config::layer(&mut command, argv).map_err(|e| usage(&command, e.into()))?;
    layered.parse(command).map_err(|error| {
        Exit(Outcome::Clap {
            note: layered.note(&error),
            error,
        })
    })
}
