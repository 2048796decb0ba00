//! What every OS file of `install` and `uninstall` builds on: the entry
//! (this program and the installed options), the [`Plan`] of changes an OS
//! file makes from it, shown by `--print` or applied, and the errors
//! ([`Kind`] → exit code). The OS files use this file, never `mod.rs`,
//! which uses them.

use remote_message_cli::exit;
use std::convert::Infallible;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What kind of failure stopped `install` or `uninstall`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The options cannot be installed as given (a secret, a value that is
    /// not UTF-8, agent options before `install`): nothing was written.
    Refused,
    /// Where the entry goes is unknown (no home directory), or this
    /// program's own path is.
    Place,
    /// A file or directory could not be written or removed.
    Write,
    /// The session manager (`systemctl`, `launchctl`) is missing or failed.
    ServiceManager,
    /// The Windows registry refused the change.
    Registry,
}

impl Kind {
    /// The process exit code: 2 when nothing was written because of the
    /// options, else 1 (see docs/agent.md, install and start at logon).
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Refused => exit::USAGE,
            Kind::Place | Kind::Write | Kind::ServiceManager | Kind::Registry => exit::FAILURE,
        }
    }
}

impl remote_message::error::ErrorKind for Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Refused => "these options cannot be installed",
            Kind::Place => "cannot tell where the entry goes",
            Kind::Write => "cannot write the entry",
            Kind::ServiceManager => "the session manager failed",
            Kind::Registry => "the registry refused the change",
        }
    }
}

/// Why `install` or `uninstall` stopped.
pub type Error = remote_message::error::Error<Kind>;

/// The option that tells the agent it was started at logon by an entry
/// that gives it neither a console nor a log file (the Windows Run entry,
/// the macOS installer package's LaunchAgent): `autostart::background`.
pub const BACKGROUND: &str = "--background";

/// What the entry starts: this program, with the installed options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub program: String,
    pub args: Vec<String>,
}

impl Entry {
    /// This executable, by its absolute path, with `args`.
    pub fn this_program(args: Vec<String>) -> Result<Entry, Error> {
        let exe = std::env::current_exe().map_err(|e| {
            Error::with_context(Kind::Place, format!("cannot find this program's path: {e}"))
                .caused_by(e)
        })?;
        let program = exe.into_os_string().into_string().map_err(|exe| {
            Error::with_context(
                Kind::Refused,
                format!(
                    "this program's path {} is not UTF-8: move it to a path that is",
                    Path::new(&exe).display()
                ),
            )
        })?;
        if program.chars().any(char::is_control) {
            return Err(Error::with_context(
                Kind::Refused,
                format!("this program's path {program:?} holds a control character: move it"),
            ));
        }
        Ok(Entry { program, args })
    }

    /// The program and its arguments, as one list.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(&self.program)
            .chain(&self.args)
            .cloned()
            .collect()
    }
}

/// One change an install or uninstall makes, in order; `N` is the OS's own
/// kind of change ([`Infallible`] where there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<N> {
    CreateDir(PathBuf),
    WriteFile {
        path: PathBuf,
        content: String,
    },
    RemoveFile(PathBuf),
    /// Runs a program; when it fails (or cannot start), `check` says what then.
    Run {
        argv: Vec<String>,
        check: Check,
    },
    Native(N),
}

/// What a failed [`Step::Run`] means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The change fails, the error ending with this advice.
    Required { advice: String },
    /// Expected at times (why, for `--print`); the plan goes on.
    Ignored { why: &'static str },
}

/// A change of the OS's own kind (the Windows registry): what `--print`
/// shows of it (on every host, for the tests).
pub trait NativeStep {
    /// The lines `--print` shows, ending with a newline.
    fn preview(&self) -> String;
}

/// Making a [`NativeStep`]'s change: on its own OS only.
pub trait ApplyNative: NativeStep {
    /// Makes the change; returns the line that says it was made.
    fn apply(&self) -> Result<String, Error>;
}

/// Where no OS-specific change exists.
impl NativeStep for Infallible {
    fn preview(&self) -> String {
        match *self {}
    }
}

impl ApplyNative for Infallible {
    fn apply(&self) -> Result<String, Error> {
        match *self {}
    }
}

/// What an install or uninstall does: its steps, then what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<N> {
    pub steps: Vec<Step<N>>,
    /// The last line printed once the steps are done (or, with `--print`,
    /// would be).
    pub outcome: String,
}

impl<N: NativeStep> Plan<N> {
    /// What `--print` shows: every file with its whole content, every
    /// command as it would run; nothing is written or run.
    pub fn preview(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            match step {
                Step::CreateDir(path) => {
                    text += &format!("would create the directory {}\n", path.display());
                }
                Step::WriteFile { path, content } => {
                    text += &format!(
                        "would write {} ({} lines):\n{content}",
                        path.display(),
                        content.lines().count()
                    );
                }
                Step::RemoveFile(path) => text += &format!("would remove {}\n", path.display()),
                Step::Run { argv, check } => {
                    text += &format!("would run: {}", shell_words(argv));
                    if let Check::Ignored { why } = check {
                        text += &format!("   (a failure is fine: {why})");
                    }
                    text.push('\n');
                }
                Step::Native(native) => text += &native.preview(),
            }
        }
        text + &format!("then: {}\n", self.outcome)
    }
}

impl<N: ApplyNative> Plan<N> {
    /// Makes the changes in order, a line on `out` for each; stops at the
    /// first that fails.
    pub fn apply(&self, out: &mut dyn Write) -> Result<(), Error> {
        let mut say = |line: String| {
            let _ = writeln!(out, "{line}");
        };
        for step in &self.steps {
            match step {
                Step::CreateDir(path) => {
                    std::fs::create_dir_all(path).map_err(|e| write_error("create", path, e))?;
                }
                Step::WriteFile { path, content } => {
                    // Whole or not at all, like every file the binaries
                    // write; readable by the user alone, as systemd and
                    // launchd accept for a user's own entry.
                    remote_message_cli::files::write_private(path, content.as_bytes())
                        .map_err(|e| write_error("write", path, e))?;
                    say(format!("wrote {}", path.display()));
                }
                Step::RemoveFile(path) => match std::fs::remove_file(path) {
                    Ok(()) => say(format!("removed {}", path.display())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(write_error("remove", path, e)),
                },
                Step::Run { argv, check } => {
                    if let Some(line) = run(argv, check)? {
                        say(line);
                    }
                }
                Step::Native(native) => say(native.apply()?),
            }
        }
        say(self.outcome.clone());
        Ok(())
    }
}

fn write_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::with_context(
        Kind::Write,
        format!("cannot {what} {}: {e}", path.display()),
    )
    .caused_by(e)
}

/// Runs `argv` (stdin closed, its output captured); `Some(line)` to print
/// when it ran, `None` when it failed and `check` lets that pass.
fn run(argv: &[String], check: &Check) -> Result<Option<String>, Error> {
    let shown = shell_words(argv);
    let failure = match Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => return Ok(Some(format!("ran: {shown}"))),
        Ok(out) => {
            let said = String::from_utf8_lossy(&out.stderr);
            let said = said.trim();
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            };
            format!("`{shown}` failed ({}){said}", out.status)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            format!("`{}` was not found", argv[0])
        }
        Err(e) => format!("`{shown}` could not start: {e}"),
    };
    match check {
        Check::Ignored { .. } => Ok(None),
        Check::Required { advice } => Err(Error::with_context(
            Kind::ServiceManager,
            format!("{failure}. {advice}"),
        )),
    }
}

/// `argv` as one line a POSIX shell would split back into it.
pub fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
