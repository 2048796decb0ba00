//! `subscriber install` and `subscriber uninstall`: the agent starts at each
//! logon from an entry it writes itself, where the user's session manager
//! reads it: a systemd user unit (Linux and other unix), a LaunchAgent
//! (macOS, starting the agent from an app bundle, which Notification Center
//! needs), a value under the user's `Run` key (Windows; not a service:
//! services run in session 0 and cannot show notifications to the user).
//! And `subscriber bundle`: that app bundle, or a macOS installer package's
//! payload, made on any OS for packagers.
//!
//! Layout:
//! - [`plan`]: what the OS files build on: the entry, the [`Plan`] of
//!   changes an OS file makes from it, shown by `--print` or applied, and
//!   the errors ([`Kind`] → exit code).
//! - [`app_bundle`]: the macOS app `Remote Message.app` (Info.plist,
//!   PkgInfo, the program copied in, the ad-hoc signature), pure and
//!   compiled on every host, as are its file changes.
//! - [`linux`], [`macos`], [`windows`]: per OS, the pure part (unit text,
//!   plist XML, Windows command-line quoting, the plan), compiled on every
//!   host for the tests (`macos` always: `bundle --pkg-root` writes its
//!   LaunchAgent anywhere), and the OS actions (the registry, the user id,
//!   the console, the log file) compiled for that OS only.
//! - here: the installed command line ([`installed_args`]: the agent options
//!   typed after `install`, relative paths made absolute, refused when they
//!   carry a secret), and `install` / `uninstall` / `bundle` themselves.

use crate::cli::{AgentArgs, BundleArgs};
use crate::config::Output;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, ValueHint};
pub use plan::{
    shell_words, ApplyNative, Check, Entry, Error, Kind, NativeStep, Plan, Step, BACKGROUND,
};
use remote_message_cli::connection::{redact_url, CREDS_FROM_STDIN};
use remote_message_cli::exit;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub mod app_bundle;
#[cfg(any(test, all(unix, not(target_os = "macos"))))]
pub mod linux;
pub mod macos;
pub mod plan;
#[cfg(any(test, windows))]
pub mod windows;

#[cfg(all(unix, not(target_os = "macos")))]
use linux as native;
#[cfg(target_os = "macos")]
use macos as native;
#[cfg(windows)]
use windows as native;

/// The command line `install` puts in the entry: the agent options typed
/// after `install` (or, for the global ones, before it), each as
/// `--long=value`, in the order clap defines them; not the settings file's
/// or the environment's values (the agent reads those itself at logon).
/// Relative paths are made absolute against `cwd`: the entry runs
/// elsewhere. A `--exec` program without a directory part stays a name
/// looked up on `PATH`, as the agent treats it.
///
/// `root` is the whole command line parsed without the settings file.
/// Refused (nothing written): a secret (`--token`, a password or token in a
/// `--server` URL), a value that is not UTF-8, and agent options given
/// before `install` that are not global (they would be dropped).
pub fn installed_args(root: &ArgMatches, cwd: &Path) -> Result<Vec<String>, Error> {
    let (name, matches) = root
        .subcommand()
        .filter(|(name, _)| *name == "install")
        .ok_or_else(|| Error::with_context(Kind::Refused, "not an install command line"))?;
    debug_assert_eq!(name, "install");
    let agent = AgentArgs::augment_args(clap::Command::new("agent"));
    let typed = |m: &ArgMatches, id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let misplaced: Vec<String> = agent
        .get_arguments()
        .filter(|arg| !arg.is_global_set() && typed(root, arg.get_id().as_str()))
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect();
    if !misplaced.is_empty() {
        return Err(Error::with_context(
            Kind::Refused,
            format!(
                "{} before `install` would not be installed: put the agent's options after \
                 `install`, e.g. subscriber install {} …",
                misplaced.join(", "),
                misplaced[0]
            ),
        ));
    }
    refuse_secrets(matches)?;
    refuse_stdin_creds(matches)?;
    let mut words = Vec::new();
    for arg in agent.get_arguments() {
        let id = arg.get_id().as_str();
        let Some(long) = arg.get_long() else { continue };
        if !typed(matches, id) {
            continue;
        }
        if !arg.get_action().takes_values() {
            if matches.get_flag(id) {
                words.push(format!("--{long}"));
            }
            continue;
        }
        for raw in matches.get_raw(id).into_iter().flatten() {
            let value = raw.to_str().ok_or_else(|| {
                Error::with_context(
                    Kind::Refused,
                    format!(
                        "--{long} {}: not UTF-8, which the entry cannot hold",
                        raw.display()
                    ),
                )
            })?;
            if value.chars().any(char::is_control) {
                return Err(Error::with_context(
                    Kind::Refused,
                    format!("--{long} {value:?}: a control character, which the entry cannot hold"),
                ));
            }
            let value = match arg.get_value_hint() {
                ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath => {
                    absolute(cwd, value)
                }
                ValueHint::ExecutablePath if Path::new(value).components().count() > 1 => {
                    absolute(cwd, value)
                }
                _ => value.to_owned(),
            };
            words.push(format!("--{long}={value}"));
        }
    }
    Ok(words)
}

/// `path` joined to `cwd` unless it is absolute, without its `.` parts.
fn absolute(cwd: &Path, path: &str) -> String {
    let path = Path::new(path);
    if path.is_absolute() || path.as_os_str().is_empty() {
        return path.display().to_string();
    }
    let joined: PathBuf = cwd
        .join(path)
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    joined.display().to_string()
}

/// Refuses a command line that carries a secret: `--token`, or a `--server`
/// URL with a password or token in it (what [`redact_url`] hides).
fn refuse_secrets(matches: &ArgMatches) -> Result<(), Error> {
    let typed = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let mut found = Vec::new();
    if typed("server") {
        let servers = matches
            .get_one::<String>("server")
            .map_or("", String::as_str);
        let secret: Vec<String> = servers
            .split(',')
            .map(str::trim)
            .filter(|url| redact_url(url) != *url)
            .map(redact_url)
            .collect();
        if !secret.is_empty() {
            found.push(format!(
                "--server {} holds a password or token",
                secret.join(",")
            ));
        }
    }
    if typed("token") {
        found.push("--token is a secret".to_owned());
    }
    if found.is_empty() {
        return Ok(());
    }
    let settings = remote_message_cli::config::default_path("subscriber").map_or_else(
        || "the settings file".to_owned(),
        |p| p.display().to_string(),
    );
    Err(Error::with_context(
        Kind::Refused,
        format!(
            "{}: the entry that starts the agent at logon is a command line others may read, \
             so it carries no secret. Put it in the settings file ({settings}: \
             server = \"nats://user:pass@host:4222\" or token = \"…\"; readable by you only), \
             or use a creds file (--creds FILE), and install without it. Nothing was written",
            found.join("; ")
        ),
    ))
}

/// Refuses `--creds -`: at logon the agent has no stdin to read creds
/// from, and the entry never holds the creds themselves.
fn refuse_stdin_creds(matches: &ArgMatches) -> Result<(), Error> {
    let stdin = matches
        .get_one::<PathBuf>("creds")
        .is_some_and(|path| path.as_os_str() == CREDS_FROM_STDIN);
    if matches.value_source("creds") == Some(ValueSource::CommandLine) && stdin {
        return Err(Error::with_context(
            Kind::Refused,
            "--creds - reads the creds from stdin, which the agent started at logon does not \
             have (and the entry holds no secret): install with a creds file readable by you \
             only (--creds FILE). Nothing was written",
        ));
    }
    Ok(())
}

/// Environment variables that set agent options now but that the entry
/// does not carry, as `NAME (--long)`: worth a note, since the agent at
/// logon may not see them.
fn unused_environment(root: &ArgMatches) -> Vec<String> {
    let Some((_, matches)) = root.subcommand() else {
        return Vec::new();
    };
    AgentArgs::augment_args(clap::Command::new("agent"))
        .get_arguments()
        .filter(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::EnvVariable))
        .filter_map(|arg| {
            let env = arg.get_env()?.to_string_lossy();
            Some(format!("{env} (--{})", arg.get_long()?))
        })
        .collect()
}

/// `subscriber install`: `argv` is the process's command line (parsed here
/// again without the settings file, to install only what was typed).
/// Returns the exit code; the plan's lines go to stdout, errors and notes
/// to stderr.
pub fn install(argv: Vec<OsString>, print: bool) -> i32 {
    let root = match <crate::cli::Cli as clap::CommandFactory>::command().try_get_matches_from(argv)
    {
        Ok(root) => root,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let result = std::env::current_dir()
        .map_err(|e| {
            Error::with_context(
                Kind::Place,
                format!("cannot read the current directory: {e}"),
            )
        })
        .and_then(|cwd| installed_args(&root, &cwd))
        .and_then(Entry::this_program)
        .and_then(|entry| native::install_plan(&entry));
    for env in unused_environment(&root) {
        eprintln!(
            "subscriber: note: {env} is set here but not installed: the agent started at logon \
             reads its settings file and its own environment"
        );
    }
    finish(result, print)
}

/// `subscriber uninstall`: removes what `install` wrote, or says that
/// nothing is installed (not an error). Returns the exit code.
pub fn uninstall(print: bool) -> i32 {
    finish(native::uninstall_plan(), print)
}

/// `subscriber bundle`: makes `Remote Message.app` from this program in
/// `--out DIR`, or the installer package's payload under `--pkg-root`
/// ([`macos::package_steps`]); the app's path is the last line printed
/// (what packaging scripts read). Returns the exit code.
pub fn bundle(args: &BundleArgs) -> i32 {
    let codesign = app_bundle::codesign_found();
    let version = env!("CARGO_PKG_VERSION");
    // Absolute, so the path printed last is one a script can use anywhere.
    let absolute = |dir: &Path| std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
    let plan = Entry::this_program(Vec::new()).map(|entry| {
        let program = Path::new(&entry.program);
        let (app, steps) = match &args.pkg_root {
            Some(root) => macos::package_steps(&absolute(root), program, version, codesign),
            None => {
                // clap requires --out when --pkg-root is not given.
                let out = absolute(args.out.as_deref().unwrap_or(Path::new(".")));
                let app = app_bundle::App::in_dir(&out);
                let steps = app_bundle::make_steps(&app, program, version, codesign);
                (app, steps)
            }
        };
        if !codesign {
            eprintln!("{}", app_bundle::unsigned_note(&app));
        }
        Plan {
            steps,
            outcome: app.path.display().to_string(),
        }
    });
    finish(plan, args.print.print)
}

fn finish<N: ApplyNative>(plan: Result<Plan<N>, Error>, print: bool) -> i32 {
    let mut stdout = std::io::stdout().lock();
    let result = plan.and_then(|plan| {
        if print {
            let _ = stdout.write_all(plan.preview().as_bytes());
            Ok(())
        } else {
            plan.apply(&mut stdout)
        }
    });
    let _ = stdout.flush();
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("subscriber: {e}");
            e.kind().exit_code()
        }
    }
}

/// `--background`, given by the Windows Run entry: whether the agent lets
/// go of its console and logs to a file. Only for `desktop` and `auto`:
/// `terminal` and `json` output need the console window to be seen.
pub fn detaches(output: Output) -> bool {
    matches!(output, Output::Desktop | Output::Auto)
}

/// Does what `--background` asks before logging starts, when [`detaches`]:
/// the log (stderr, and stdout) is appended to a file, and on Windows the
/// console window closes; returns that file. On macOS it is what the
/// installer package's LaunchAgent asks (`macos::background`). On Linux the
/// session manager starts the agent without a console and keeps its log,
/// and nothing changes (`Ok(None)`).
pub fn background(output: Output) -> std::io::Result<Option<PathBuf>> {
    if !detaches(output) {
        return Ok(None);
    }
    native::background()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory;
    use std::convert::Infallible;

    fn root(words: &[&str]) -> ArgMatches {
        Cli::command()
            .try_get_matches_from(std::iter::once("subscriber").chain(words.iter().copied()))
            .unwrap()
    }

    fn installed(words: &[&str]) -> Result<Vec<String>, Error> {
        installed_args(&root(words), Path::new(paths::CWD))
    }

    /// The directory [`installed`] runs in, an absolute path elsewhere, and
    /// what relative paths become, as this OS writes paths.
    #[cfg(unix)]
    mod paths {
        pub const CWD: &str = "/home/u/work";
        pub const CREDS: &str = "/etc/a.creds";
        pub const STATE: &str = "/home/u/work/state";
        pub const CONFIG: &str = "/home/u/work/conf/agent.toml";
        pub const HOOK: &str = "/home/u/work/bin/hook";
    }
    #[cfg(windows)]
    mod paths {
        pub const CWD: &str = r"C:\Users\u\work";
        pub const CREDS: &str = r"D:\etc\a.creds";
        pub const STATE: &str = r"C:\Users\u\work\state";
        pub const CONFIG: &str = r"C:\Users\u\work\conf\agent.toml";
        pub const HOOK: &str = r"C:\Users\u\work\bin\hook";
    }

    /// The typed options come back as `--long=value` (short ones by their
    /// long name, repeats kept), relative paths made absolute, a bare
    /// `--exec` name left for `PATH`; defaults are not written out.
    #[test]
    fn typed_options_are_installed_with_absolute_paths() {
        let words = installed(&[
            "install",
            "-s",
            "nats://h:4222",
            "--label",
            "dept=sales",
            "--label",
            "floor=2",
            "--state-dir",
            "./state",
            "--exec",
            "on-message",
            "--creds",
            paths::CREDS,
            "--config",
            "conf/agent.toml",
            "--output",
            "desktop",
            "--print",
        ])
        .unwrap();
        assert_eq!(
            words,
            [
                "--label=dept=sales",
                "--label=floor=2",
                &format!("--state-dir={}", paths::STATE),
                "--output=desktop",
                "--exec=on-message",
                "--server=nats://h:4222",
                &format!("--creds={}", paths::CREDS),
                &format!("--config={}", paths::CONFIG),
            ]
        );
        let words = installed(&["install", "--exec", "bin/hook", "--exec-timeout", "30s"]);
        assert_eq!(
            words.unwrap(),
            [&format!("--exec={}", paths::HOOK), "--exec-timeout=30s"]
        );
        assert_eq!(installed(&["install"]).unwrap(), Vec::<String>::new());
    }

    /// Global options may come before `install`; the agent's other options
    /// there would be lost, so they are refused, named.
    #[test]
    fn agent_options_before_install_are_refused_unless_global() {
        assert_eq!(
            installed(&["--server", "nats://h:1", "install"]).unwrap(),
            ["--server=nats://h:1"]
        );
        let err = installed(&["--output", "json", "--label", "a=b", "install"]).unwrap_err();
        assert_eq!(err.kind(), Kind::Refused);
        assert!(
            err.to_string()
                .starts_with("--label, --output before `install`"),
            "{err}"
        );
    }

    /// A password or token in a `--server` URL, or `--token`, is refused
    /// with exit 2; the message names the option, never the secret, and
    /// says where secrets go.
    #[test]
    fn secrets_are_refused_without_being_shown() {
        for words in [
            &["install", "--server", "nats://u:s3cret@h:4222"][..],
            &["install", "--server", "nats://h:1, tls://s3cret@h:2"],
            &["install", "--token", "s3cret"],
            &["--server=nats://u:s3cret@h", "install"],
        ] {
            let err = installed(words).unwrap_err();
            assert_eq!(err.kind(), Kind::Refused, "{words:?}");
            assert_eq!(err.kind().exit_code(), 2);
            let text = err.to_string();
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.contains("settings file"), "{text}");
            assert!(text.contains("--creds"), "{text}");
        }
        let text = installed(&["install", "-s", "nats://u:s3cret@h:4222"])
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with("--server nats://u:***@h:4222 holds a password or token"),
            "{text}"
        );
        // A user name alone is a token too; a plain URL is fine.
        assert!(installed(&["install", "-s", "nats://tok@h"]).is_err());
        assert!(installed(&["install", "-s", "nats://h:4222,tls://h2:4443"]).is_ok());
    }

    /// `--creds -` (creds on stdin) is refused, before or after `install`:
    /// at logon there is no stdin, and the entry never holds creds.
    #[test]
    fn creds_on_stdin_are_refused() {
        for words in [&["install", "--creds", "-"][..], &["--creds=-", "install"]] {
            let err = installed(words).unwrap_err();
            assert_eq!(err.kind(), Kind::Refused, "{words:?}");
            assert!(err
                .to_string()
                .starts_with("--creds - reads the creds from stdin"));
        }
    }

    /// The words are built from the single value each option occurrence
    /// takes: an agent option taking several values at once would be
    /// written wrong, so there is none.
    #[test]
    fn every_agent_option_takes_at_most_one_value_per_use() {
        let mut agent = AgentArgs::augment_args(clap::Command::new("agent"));
        agent.build();
        for arg in agent.get_arguments() {
            let most = arg.get_num_args().map_or(1, |n| n.max_values());
            assert!(most <= 1, "--{:?} takes {most} values", arg.get_long());
        }
    }

    /// `--print` shows each file whole (with its line count), each command
    /// as a shell line, failures that are fine with their reason, and the
    /// outcome.
    #[test]
    fn the_preview_shows_files_whole_and_commands_as_shell_lines() {
        let plan: Plan<Infallible> = Plan {
            steps: vec![
                Step::CreateDir("/d".into()),
                Step::WriteFile {
                    path: "/d/f".into(),
                    content: "a\nb c\n".into(),
                },
                Step::Run {
                    argv: vec!["tool".into(), "it's".into(), "x y".into(), "--k=v".into()],
                    check: Check::Ignored { why: "not loaded" },
                },
                Step::RemoveFile("/d/g".into()),
            ],
            outcome: "done".into(),
        };
        assert_eq!(
            plan.preview(),
            "would create the directory /d\n\
             would write /d/f (2 lines):\na\nb c\n\
             would run: tool 'it'\\''s' 'x y' --k=v   (a failure is fine: not loaded)\n\
             would remove /d/g\n\
             then: done\n"
        );
    }

    /// Applying writes and removes files, runs commands, and stops at a
    /// required command that fails, with its stderr and the advice; an
    /// ignored failure is passed over.
    #[cfg(unix)]
    #[test]
    fn applying_stops_at_a_required_command_that_fails() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/entry");
        let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
        let plan: Plan<Infallible> = Plan {
            steps: vec![
                Step::CreateDir(dir.path().join("sub")),
                Step::WriteFile {
                    path: file.clone(),
                    content: "x\n".into(),
                },
                Step::Run {
                    argv: sh("exit 3"),
                    check: Check::Ignored { why: "fine" },
                },
                Step::Run {
                    argv: sh("echo no bus >&2; exit 1"),
                    check: Check::Required {
                        advice: "Do this.".into(),
                    },
                },
                Step::RemoveFile(file.clone()),
            ],
            outcome: "done".into(),
        };
        let mut out = Vec::new();
        let err = plan.apply(&mut out).unwrap_err();
        assert_eq!(err.kind(), Kind::ServiceManager);
        assert_eq!(
            err.to_string(),
            "`sh -c 'echo no bus >&2; exit 1'` failed (exit status: 1): no bus. Do this."
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x\n");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("wrote {}\n", file.display())
        );
        let missing = Plan::<Infallible> {
            steps: vec![Step::Run {
                argv: vec!["/nonexistent/systemctl".into()],
                check: Check::Required {
                    advice: "Advice.".into(),
                },
            }],
            outcome: String::new(),
        };
        let err = missing.apply(&mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/nonexistent/systemctl` was not found. Advice."
        );
    }

    /// The console is let go of only for outputs that do not need it.
    #[test]
    fn only_desktop_and_auto_output_detach() {
        assert!(detaches(Output::Desktop) && detaches(Output::Auto));
        assert!(!detaches(Output::Terminal) && !detaches(Output::Json));
    }
}
