//! macOS: the agent as a LaunchAgent,
//! `~/Library/LaunchAgents/com.remote-message.subscriber.plist`, loaded into
//! the user's GUI domain (`launchctl bootstrap gui/<uid>`): launchd starts
//! it at each login (`RunAtLoad`), starts it again when it fails
//! (`KeepAlive` unless it exited 0), and appends its log to
//! `~/Library/Logs/remote-message/`.

use super::plan::{Check, Entry, Plan, Step};
use std::convert::Infallible;
use std::path::{Path, PathBuf};

/// The job's label, and the plist's file name without `.plist`.
pub const LABEL: &str = "com.remote-message.subscriber";

/// Where the entry goes for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// `~/Library/LaunchAgents`.
    pub agents_dir: PathBuf,
    /// `~/Library/Logs/remote-message`.
    pub log_dir: PathBuf,
    /// The user's id: its GUI domain is `gui/<uid>`.
    pub uid: u32,
}

impl Places {
    /// The plist's path.
    pub fn plist_path(&self) -> PathBuf {
        self.agents_dir.join(format!("{LABEL}.plist"))
    }

    fn domain(&self) -> String {
        format!("gui/{}", self.uid)
    }
}

/// The LaunchAgent plist (XML) that starts `entry`, its stderr (the log)
/// appended to `subscriber.log` and its stdout (messages, when no
/// notification can be shown) to `subscriber.out.log` in `log_dir`.
pub fn plist(entry: &Entry, log_dir: &Path) -> String {
    let arguments: String = entry
        .argv()
        .iter()
        .map(|word| format!("\t\t<string>{}</string>\n", escape(word)))
        .collect();
    let log = |name: &str| escape(&log_dir.join(name).display().to_string());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by `subscriber install`; `subscriber uninstall` removes it. -->
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
	<key>StandardErrorPath</key>
	<string>{}</string>
	<key>StandardOutPath</key>
	<string>{}</string>
</dict>
</plist>
"#,
        log("subscriber.log"),
        log("subscriber.out.log"),
    )
}

/// `text` as XML character data: `&`, `<`, `>` and quotes as entities.
/// The installed words hold no control characters (refused before), which
/// XML 1.0 could not carry.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the plist and (re)loads it: a job already loaded (an earlier
/// install) is booted out first, so the new options take effect now.
pub fn install_plan_in(places: &Places, entry: &Entry) -> Plan<Infallible> {
    let path = places.plist_path();
    let advice = format!(
        "The plist is written at {}, but launchd has not loaded it: run `launchctl \
         bootstrap {} {}` in your login session, or log out and in",
        path.display(),
        places.domain(),
        path.display()
    );
    Plan {
        steps: vec![
            Step::CreateDir(places.agents_dir.clone()),
            Step::CreateDir(places.log_dir.clone()),
            Step::WriteFile {
                path: path.clone(),
                content: plist(entry, &places.log_dir),
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
        ],
        outcome: format!(
            "installed: the agent runs now and starts at each login; its log: {}",
            places.log_dir.join("subscriber.log").display()
        ),
    }
}

/// Unloads the job (stopping the agent) and removes the plist; nothing
/// when there is no plist.
pub fn uninstall_plan_in(places: &Places) -> Plan<Infallible> {
    let path = places.plist_path();
    if !path.exists() {
        return Plan {
            steps: Vec::new(),
            outcome: format!("nothing to uninstall: there is no {}", path.display()),
        };
    }
    Plan {
        steps: vec![
            Step::Run {
                argv: bootout(places),
                check: Check::Ignored {
                    why: "it fails when the job is not loaded",
                },
            },
            Step::RemoveFile(path),
        ],
        outcome: "uninstalled: the agent is stopped and no longer starts at login".to_owned(),
    }
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

/// This user's places: the home directory's `Library`, and the real user id.
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
        log_dir: home.join("Library").join("Logs").join("remote-message"),
        uid: nix::unistd::getuid().as_raw(),
    })
}

/// [`install_plan_in`] this user's places.
#[cfg(target_os = "macos")]
pub fn install_plan(entry: &Entry) -> Result<Plan<Infallible>, super::plan::Error> {
    Ok(install_plan_in(&places()?, entry))
}

/// [`uninstall_plan_in`] this user's places.
#[cfg(target_os = "macos")]
pub fn uninstall_plan() -> Result<Plan<Infallible>, super::plan::Error> {
    Ok(uninstall_plan_in(&places()?))
}

/// launchd runs the job without a terminal and writes its log where the
/// plist says: `--background` has nothing to change.
#[cfg(target_os = "macos")]
pub fn background() -> std::io::Result<Option<PathBuf>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(dir: &Path) -> Places {
        Places {
            agents_dir: dir.join("Library/LaunchAgents"),
            log_dir: dir.join("Library/Logs/remote-message"),
            uid: 501,
        }
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
        let xml = plist(&entry, Path::new("/Users/u/Library/Logs/remote-message"));
        let value = plist::Value::from_reader_xml(xml.as_bytes()).unwrap();
        let dict = value.as_dictionary().unwrap();
        let args: Vec<&str> = dict["ProgramArguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_string().unwrap())
            .collect();
        assert_eq!(args, entry.argv());
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

    /// Install: the directories, the plist, a bootout whose failure is
    /// fine (not loaded yet), then a bootstrap into `gui/<uid>` that must
    /// succeed.
    #[test]
    #[cfg(unix)] // Its paths are unix ones, joined the host's way.
    fn install_writes_the_plist_and_bootstraps_it() {
        let p = places(Path::new("/Users/u"));
        let plan = install_plan_in(
            &p,
            &Entry {
                program: "/usr/local/bin/subscriber".into(),
                args: vec![],
            },
        );
        let plist_path = "/Users/u/Library/LaunchAgents/com.remote-message.subscriber.plist";
        let shape: Vec<String> = plan
            .steps
            .iter()
            .map(|step| match step {
                Step::CreateDir(path) => format!("mkdir {}", path.display()),
                Step::WriteFile { path, .. } => format!("write {}", path.display()),
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
                format!("write {plist_path}"),
                "launchctl bootout gui/501/com.remote-message.subscriber || true".to_owned(),
                format!("launchctl bootstrap gui/501 {plist_path}"),
            ]
        );
    }

    /// Uninstall without a plist does nothing and says so; with one it
    /// boots the job out and removes the plist.
    #[test]
    fn uninstall_boots_out_and_removes_an_existing_plist_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = places(dir.path());
        let nothing = uninstall_plan_in(&p);
        assert!(nothing.steps.is_empty());
        assert!(nothing.outcome.starts_with("nothing to uninstall"));
        std::fs::create_dir_all(&p.agents_dir).unwrap();
        std::fs::write(p.plist_path(), "x").unwrap();
        let plan = uninstall_plan_in(&p);
        assert_eq!(plan.steps.len(), 2);
        assert!(
            matches!(&plan.steps[0], Step::Run { argv, .. } if argv.join(" ") == "launchctl bootout gui/501/com.remote-message.subscriber")
        );
        assert_eq!(plan.steps[1], Step::RemoveFile(p.plist_path()));
    }
}
