//! macOS: the agent as a LaunchAgent,
//! `~/Library/LaunchAgents/com.remote-message.subscriber.plist`, loaded into
//! the user's GUI domain (`launchctl bootstrap gui/<uid>`): launchd starts
//! it at each login (`RunAtLoad`), starts it again when it fails
//! (`KeepAlive` unless it exited 0), and appends its log to
//! `~/Library/Logs/remote-message/`. What it starts is this program copied
//! into `~/Applications/Remote Message.app` ([`super::app_bundle`]), whose
//! bundle identifier Notification Center needs.
//!
//! The installer package's payload ([`package_steps`], `subscriber bundle
//! --pkg-root`) is the same app in `/Applications` and a LaunchAgent for
//! every user in `/Library/LaunchAgents`, which starts it with
//! `--background`: the agent appends its log to the user's
//! `~/Library/Logs/remote-message/` itself ([`background`]), a path launchd
//! cannot name for every user.
//!
//! The plists and plans are pure, compiled on every host (`subscriber
//! bundle --pkg-root` makes the payload anywhere); the user's places and
//! `--background` are macOS only.

use super::app_bundle::{self, escape, App, Change};
use super::plan::{Check, Entry, Plan, Step, BACKGROUND};
use std::path::{Path, PathBuf};

/// The job's label, and the plist's file name without `.plist`: the app's
/// bundle identifier. The user's LaunchAgent and the package's one for
/// every user share it, so launchd runs one agent, never both.
pub const LABEL: &str = app_bundle::BUNDLE_ID;

/// Where the installer package puts the app, for every user.
pub const SYSTEM_APPS_DIR: &str = "/Applications";

/// Where the installer package puts its LaunchAgent, for every user.
pub const SYSTEM_AGENTS_DIR: &str = "/Library/LaunchAgents";

/// The log (stderr) and the messages shown when no notification can be
/// (stdout), in the log directory.
const LOG_FILE: &str = "subscriber.log";
const OUT_FILE: &str = "subscriber.out.log";

/// Where the entry goes for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// `~/Library/LaunchAgents`.
    pub agents_dir: PathBuf,
    /// `~/Library/Logs/remote-message`.
    pub log_dir: PathBuf,
    /// `~/Applications`, where the app goes.
    pub apps_dir: PathBuf,
    /// The user's id: its GUI domain is `gui/<uid>`.
    pub uid: u32,
}

impl Places {
    /// The plist's path.
    pub fn plist_path(&self) -> PathBuf {
        self.agents_dir.join(format!("{LABEL}.plist"))
    }

    /// `~/Applications/Remote Message.app`.
    pub fn app(&self) -> App {
        App::in_dir(&self.apps_dir)
    }

    fn domain(&self) -> String {
        format!("gui/{}", self.uid)
    }
}

/// The log directory in the home directory `home`:
/// `~/Library/Logs/remote-message`.
pub fn log_dir_in(home: &Path) -> PathBuf {
    home.join("Library").join("Logs").join("remote-message")
}

/// The LaunchAgent plist (XML) that starts `entry`, its stderr (the log)
/// appended to `subscriber.log` and its stdout (messages, when no
/// notification can be shown) to `subscriber.out.log` in `log_dir`.
pub fn plist(entry: &Entry, log_dir: &Path) -> String {
    let log = |name: &str| escape(&log_dir.join(name).display().to_string());
    job(
        "Written by `subscriber install`; `subscriber uninstall` removes it.",
        entry,
        &format!(
            "\t<key>StandardErrorPath</key>\n\t<string>{}</string>\n\
             \t<key>StandardOutPath</key>\n\t<string>{}</string>\n",
            log(LOG_FILE),
            log(OUT_FILE)
        ),
    )
}

/// The installer package's LaunchAgent, for every user: it starts the app
/// in `/Applications` with `--background` and no other option (each
/// user's settings come from the settings files), and names no log file:
/// the agent appends its log to the user's own log directory.
pub fn system_plist() -> String {
    let entry = Entry {
        program: system_app().executable().display().to_string(),
        args: vec![BACKGROUND.to_owned()],
    };
    job(
        "Installed by the Remote Message package for every user; its options are in \
         /Library/Application Support/remote-message/subscriber.toml.",
        &entry,
        "",
    )
}

/// The app the installer package puts in `/Applications`.
pub fn system_app() -> App {
    App::in_dir(Path::new(SYSTEM_APPS_DIR))
}

/// A LaunchAgent plist labelled [`LABEL`] that starts `entry` at login and
/// again when it fails, with `comment` at the top and `more` keys last.
fn job(comment: &str, entry: &Entry, more: &str) -> String {
    let arguments: String = entry
        .argv()
        .iter()
        .map(|word| format!("\t\t<string>{}</string>\n", escape(word)))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- {comment} -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{LABEL}</string>
	<key>ProgramArguments</key>
	<array>
{arguments}	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ThrottleInterval</key>
	<integer>5</integer>
{more}</dict>
</plist>
"#
    )
}

/// Makes or updates the app in `~/Applications` from `entry`'s program
/// (signed when `codesign` is found), writes the plist that starts the
/// app's copy with `entry`'s options, and (re)loads it: a job already
/// loaded (an earlier install) is booted out first, so the new program and
/// options take effect now. An agent running from the app meanwhile keeps
/// its file: the new one is renamed over it.
pub fn install_plan_in(
    places: &Places,
    entry: &Entry,
    version: &str,
    codesign: bool,
) -> Plan<Change> {
    let path = places.plist_path();
    let app = places.app();
    let advice = format!(
        "The plist is written at {}, but launchd has not loaded it: run `launchctl \
         bootstrap {} {}` in your login session, or log out and in",
        path.display(),
        places.domain(),
        path.display()
    );
    let installed = Entry {
        program: app.executable().display().to_string(),
        args: entry.args.clone(),
    };
    let mut steps = vec![
        Step::CreateDir(places.agents_dir.clone()),
        Step::CreateDir(places.log_dir.clone()),
    ];
    steps.extend(app_bundle::make_steps(
        &app,
        Path::new(&entry.program),
        version,
        codesign,
    ));
    steps.extend([
        Step::WriteFile {
            path: path.clone(),
            content: plist(&installed, &places.log_dir),
        },
        Step::Run {
            argv: bootout(places),
            check: Check::Ignored {
                why: "it fails when the job is not loaded yet",
            },
        },
        Step::Run {
            argv: launchctl(&["bootstrap", &places.domain(), &path.display().to_string()]),
            check: Check::Required { advice },
        },
    ]);
    Plan {
        steps,
        outcome: format!(
            "installed: the agent runs now from {} and starts at each login; its log: {}",
            app.path.display(),
            places.log_dir.join(LOG_FILE).display()
        ),
    }
}

/// Unloads the job (stopping the agent), removes the plist and the app
/// `install` made (one whose Info.plist names [`app_bundle::BUNDLE_ID`]);
/// nothing when there is neither.
pub fn uninstall_plan_in(places: &Places) -> Plan<Change> {
    let path = places.plist_path();
    let app = places.app();
    let mut steps = Vec::new();
    if path.exists() {
        steps.push(Step::Run {
            argv: bootout(places),
            check: Check::Ignored {
                why: "it fails when the job is not loaded",
            },
        });
        steps.push(Step::RemoveFile(path.clone()));
    }
    if app.is_ours() {
        steps.push(Step::Native(Change::RemoveApp(app.path.clone())));
    }
    if steps.is_empty() {
        return Plan {
            steps,
            outcome: format!("nothing to uninstall: there is no {}", path.display()),
        };
    }
    Plan {
        steps,
        outcome: "uninstalled: the agent is stopped and no longer starts at login".to_owned(),
    }
}

/// The installer package's payload under `root`, as `pkgbuild --root`
/// takes it: `root/Applications/Remote Message.app` made from `program`,
/// and `root/Library/LaunchAgents/<label>.plist` ([`system_plist`]).
pub fn package_steps(
    root: &Path,
    program: &Path,
    version: &str,
    codesign: bool,
) -> (App, Vec<Step<Change>>) {
    let under_root = |dir: &str| root.join(dir.trim_start_matches('/'));
    let app = App::in_dir(&under_root(SYSTEM_APPS_DIR));
    let agents = under_root(SYSTEM_AGENTS_DIR);
    let mut steps = app_bundle::make_steps(&app, program, version, codesign);
    steps.extend([
        Step::CreateDir(agents.clone()),
        Step::Native(Change::WritePublic {
            path: agents.join(format!("{LABEL}.plist")),
            content: system_plist(),
        }),
    ]);
    (app, steps)
}

fn bootout(places: &Places) -> Vec<String> {
    launchctl(&["bootout", &format!("{}/{LABEL}", places.domain())])
}

fn launchctl(args: &[&str]) -> Vec<String> {
    std::iter::once("launchctl")
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect()
}

/// This user's places: the home directory's `Library` and `Applications`,
/// and the real user id.
#[cfg(target_os = "macos")]
fn places() -> Result<Places, super::plan::Error> {
    let home = dirs::home_dir().ok_or_else(|| {
        super::plan::Error::with_context(
            super::plan::Kind::Place,
            "no home directory for the LaunchAgent",
        )
    })?;
    Ok(Places {
        agents_dir: home.join("Library").join("LaunchAgents"),
        log_dir: log_dir_in(&home),
        apps_dir: home.join("Applications"),
        uid: nix::unistd::getuid().as_raw(),
    })
}

/// [`install_plan_in`] this user's places, with this program's version;
/// a note when the app cannot be signed.
#[cfg(target_os = "macos")]
pub fn install_plan(entry: &Entry) -> Result<Plan<Change>, super::plan::Error> {
    let places = places()?;
    let codesign = app_bundle::codesign_found();
    if !codesign {
        eprintln!("{}", app_bundle::unsigned_note(&places.app()));
    }
    Ok(install_plan_in(
        &places,
        entry,
        env!("CARGO_PKG_VERSION"),
        codesign,
    ))
}

/// [`uninstall_plan_in`] this user's places.
#[cfg(target_os = "macos")]
pub fn uninstall_plan() -> Result<Plan<Change>, super::plan::Error> {
    Ok(uninstall_plan_in(&places()?))
}

/// `--background`, given by the installer package's LaunchAgent (which
/// names no log file, see [`system_plist`]): appends stderr (the log) and
/// stdout to `subscriber.log` and `subscriber.out.log` in the user's
/// `~/Library/Logs/remote-message/`, as the user's own LaunchAgent has
/// launchd do.
#[cfg(target_os = "macos")]
pub fn background() -> std::io::Result<Option<PathBuf>> {
    let home = dirs::home_dir()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no home directory"))?;
    let dir = log_dir_in(&home);
    std::fs::create_dir_all(&dir)?;
    let append = |name: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(name))
    };
    let (out, log) = (append(OUT_FILE)?, append(LOG_FILE)?);
    nix::unistd::dup2_stdout(&out)?;
    nix::unistd::dup2_stderr(&log)?;
    Ok(Some(dir.join(LOG_FILE)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(dir: &Path) -> Places {
        Places {
            agents_dir: dir.join("Library/LaunchAgents"),
            log_dir: dir.join("Library/Logs/remote-message"),
            apps_dir: dir.join("Applications"),
            uid: 501,
        }
    }

    #[cfg(unix)]
    fn parse(xml: &str) -> plist::Dictionary {
        plist::Value::from_reader_xml(xml.as_bytes())
            .unwrap()
            .into_dictionary()
            .unwrap()
    }

    #[cfg(unix)]
    fn arguments(dict: &plist::Dictionary) -> Vec<&str> {
        dict["ProgramArguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_string().unwrap())
            .collect()
    }

    /// The plist parses as a property list (with the `plist` crate) whose
    /// arguments are exactly the entry's, however odd the characters; it
    /// runs at load, restarts on failure, and logs to the log directory.
    #[test]
    #[cfg(unix)] // Its paths are unix ones, joined the host's way.
    fn the_plist_parses_back_to_the_entry() {
        let entry = Entry {
            program: "/Applications/R&D <tools>/subscriber".into(),
            args: vec![
                "--label=team=\"ops\" & 'sales'".into(),
                "--state-dir=/Users/u/état ]]> x".into(),
                "--output=desktop".into(),
            ],
        };
        let dict = parse(&plist(
            &entry,
            Path::new("/Users/u/Library/Logs/remote-message"),
        ));
        assert_eq!(arguments(&dict), entry.argv());
        assert_eq!(dict["Label"].as_string(), Some(LABEL));
        assert_eq!(dict["RunAtLoad"].as_boolean(), Some(true));
        let keep_alive = dict["KeepAlive"].as_dictionary().unwrap();
        assert_eq!(keep_alive["SuccessfulExit"].as_boolean(), Some(false));
        assert_eq!(
            dict["StandardErrorPath"].as_string(),
            Some("/Users/u/Library/Logs/remote-message/subscriber.log")
        );
        assert_eq!(
            dict["StandardOutPath"].as_string(),
            Some("/Users/u/Library/Logs/remote-message/subscriber.out.log")
        );
    }

    /// The package's LaunchAgent, for every user: the same label (launchd
    /// runs one of the two), the app in /Applications with --background
    /// alone, and no log file (the agent opens the user's own).
    #[test]
    #[cfg(unix)]
    fn the_system_plist_starts_the_app_in_applications_in_the_background() {
        let dict = parse(&system_plist());
        assert_eq!(dict["Label"].as_string(), Some(LABEL));
        assert_eq!(
            arguments(&dict),
            [
                "/Applications/Remote Message.app/Contents/MacOS/subscriber",
                "--background"
            ]
        );
        assert_eq!(dict["RunAtLoad"].as_boolean(), Some(true));
        assert!(!dict.contains_key("StandardErrorPath"));
        assert!(!dict.contains_key("StandardOutPath"));
    }

    /// Install: the directories, the app made from this program (copied,
    /// its files, signed), the plist that starts the app's copy, a bootout
    /// whose failure is fine (not loaded yet), then a bootstrap into
    /// `gui/<uid>` that must succeed.
    #[test]
    #[cfg(unix)] // Its paths are unix ones, joined the host's way.
    fn install_makes_the_app_writes_the_plist_and_bootstraps_it() {
        let p = places(Path::new("/Users/u"));
        let plan = install_plan_in(
            &p,
            &Entry {
                program: "/usr/local/bin/subscriber".into(),
                args: vec!["--output=desktop".into()],
            },
            "0.4.0",
            true,
        );
        let plist_path = "/Users/u/Library/LaunchAgents/com.remote-message.subscriber.plist";
        let app = "/Users/u/Applications/Remote Message.app";
        let shape: Vec<String> = plan
            .steps
            .iter()
            .map(|step| match step {
                Step::CreateDir(path) => format!("mkdir {}", path.display()),
                Step::WriteFile { path, .. } => format!("write {}", path.display()),
                Step::Native(Change::CopyProgram { from, to }) => {
                    format!("cp {} {}", from.display(), to.display())
                }
                Step::Native(Change::WritePublic { path, .. }) => {
                    format!("write {} (public)", path.display())
                }
                Step::Run {
                    argv,
                    check: Check::Ignored { .. },
                } => format!("{} || true", argv.join(" ")),
                Step::Run { argv, .. } => argv.join(" "),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "mkdir /Users/u/Library/LaunchAgents".to_owned(),
                "mkdir /Users/u/Library/Logs/remote-message".to_owned(),
                format!("mkdir {app}/Contents/MacOS"),
                format!("cp /usr/local/bin/subscriber {app}/Contents/MacOS/subscriber"),
                format!("write {app}/Contents/Info.plist (public)"),
                format!("write {app}/Contents/PkgInfo (public)"),
                format!("codesign --force -s - {app} || true"),
                format!("write {plist_path}"),
                "launchctl bootout gui/501/com.remote-message.subscriber || true".to_owned(),
                format!("launchctl bootstrap gui/501 {plist_path}"),
            ]
        );
        let Some(Step::WriteFile { content, .. }) = plan.steps.get(7) else {
            panic!("no plist")
        };
        assert_eq!(
            arguments(&parse(content)),
            [
                &format!("{app}/Contents/MacOS/subscriber"),
                "--output=desktop"
            ]
        );
        assert!(plan.outcome.contains(app), "{}", plan.outcome);
    }

    /// Uninstall without a plist or an app does nothing and says so; with
    /// a plist it boots the job out and removes the plist; the app goes
    /// too when it is ours, never another one of that name.
    #[test]
    fn uninstall_boots_out_and_removes_the_plist_and_our_app_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = places(dir.path());
        let nothing = uninstall_plan_in(&p);
        assert!(nothing.steps.is_empty());
        assert!(nothing.outcome.starts_with("nothing to uninstall"));
        std::fs::create_dir_all(&p.agents_dir).unwrap();
        std::fs::write(p.plist_path(), "x").unwrap();
        let contents = p.app().path.join("Contents");
        std::fs::create_dir_all(&contents).unwrap();
        std::fs::write(contents.join("Info.plist"), "<string>org.other</string>").unwrap();
        let plan = uninstall_plan_in(&p);
        assert_eq!(plan.steps.len(), 2);
        assert!(
            matches!(&plan.steps[0], Step::Run { argv, .. } if argv.join(" ") == "launchctl bootout gui/501/com.remote-message.subscriber")
        );
        assert_eq!(plan.steps[1], Step::RemoveFile(p.plist_path()));
        std::fs::write(contents.join("Info.plist"), app_bundle::info_plist("0.4.0")).unwrap();
        let plan = uninstall_plan_in(&p);
        assert_eq!(
            plan.steps[2],
            Step::Native(Change::RemoveApp(p.app().path.clone()))
        );
        std::fs::remove_file(p.plist_path()).unwrap();
        let app_only = uninstall_plan_in(&p);
        assert_eq!(
            app_only.steps,
            [Step::Native(Change::RemoveApp(p.app().path.clone()))]
        );
    }

    /// The package's payload: the app under ROOT/Applications, the
    /// LaunchAgent for every user under ROOT/Library/LaunchAgents.
    #[test]
    #[cfg(unix)]
    fn the_package_root_holds_the_app_and_the_system_launch_agent() {
        let (app, steps) = package_steps(
            Path::new("/tmp/root"),
            Path::new("/build/subscriber"),
            "0.4.0",
            false,
        );
        assert_eq!(
            app.path,
            Path::new("/tmp/root/Applications/Remote Message.app")
        );
        assert_eq!(
            steps[steps.len() - 2..],
            [
                Step::CreateDir("/tmp/root/Library/LaunchAgents".into()),
                Step::Native(Change::WritePublic {
                    path: "/tmp/root/Library/LaunchAgents/com.remote-message.subscriber.plist"
                        .into(),
                    content: system_plist(),
                }),
            ]
        );
    }
}
