//! Linux (and other unix with systemd): the agent as a systemd user unit,
//! `<config dir>/systemd/user/subscriber.service` (`$XDG_CONFIG_HOME`, else
//! `~/.config`), enabled for the user and (re)started now. It is
//! `deploy/systemd/subscriber.service` with the installed command line: same
//! name, same restart policy.

use super::plan::{shell_words, Check, Entry, Plan, Step};
use std::convert::Infallible;
use std::path::Path;

/// The unit's file name, as in `deploy/systemd/`.
pub const UNIT: &str = "subscriber.service";

/// The unit file that starts `entry`.
pub fn unit(entry: &Entry) -> String {
    format!(
        "\
# Written by `subscriber install`; `subscriber uninstall` removes it.
# The remote-message agent as a systemd user service: it starts with the
# user's session manager and comes back if it ever fails. Its log:
#   journalctl --user -u subscriber -f

[Unit]
Description=remote-message agent: messages from ops as desktop notifications
Documentation=man:subscriber(1)
# Ordering only: the agent itself waits for the network and the server.
After=graphical-session.target network-online.target

[Service]
Type=exec
ExecStart={}
Restart=on-failure
RestartSec=5s
# A wrong setting (exit 2) is not fixed by restarting.
RestartPreventExitStatus=2
# SIGTERM makes the agent drain and exit 0 within about 2 s.
TimeoutStopSec=10s

[Install]
WantedBy=default.target
",
        exec_start(entry)
    )
}

/// The `ExecStart=` value: each word quoted for systemd where it needs it.
pub fn exec_start(entry: &Entry) -> String {
    entry
        .argv()
        .iter()
        .map(|word| quote(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word of a systemd command line (systemd.service(5), "Command
/// lines"): `%` (specifiers) and `$` (variables) doubled everywhere; a
/// word with anything but plain characters in double quotes, with `\` and
/// `"` escaped and control characters as C escapes.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%$".contains(c));
    let mut out = String::with_capacity(word.len() + 2);
    if !plain {
        out.push('"');
    }
    for c in word.chars() {
        match c {
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    if !plain {
        out.push('"');
    }
    out
}

/// Writes the unit into `unit_dir`, makes the user's systemd read it,
/// enables it for each logon and (re)starts it, so that a second install
/// with other options takes effect now.
pub fn install_plan_in(unit_dir: &Path, entry: &Entry) -> Plan<Infallible> {
    let path = unit_dir.join(UNIT);
    let advice = format!(
        "The unit is written at {}, but the user's systemd has not taken it: in your \
         desktop session run `systemctl --user daemon-reload && systemctl --user enable --now \
         {UNIT}` (over SSH the user's systemd runs only after `loginctl enable-linger`). \
         Without systemd, start `{}` from your desktop's autostart instead and remove the unit",
        path.display(),
        shell_words(&entry.argv())
    );
    let required = || Check::Required {
        advice: advice.clone(),
    };
    Plan {
        steps: vec![
            Step::CreateDir(unit_dir.to_owned()),
            Step::WriteFile {
                path,
                content: unit(entry),
            },
            Step::Run {
                argv: systemctl(&["daemon-reload"]),
                check: required(),
            },
            Step::Run {
                argv: systemctl(&["enable", UNIT]),
                check: required(),
            },
            Step::Run {
                argv: systemctl(&["restart", UNIT]),
                check: required(),
            },
        ],
        outcome: "installed: the agent runs now and starts at each logon; its log: \
                  journalctl --user -u subscriber -f"
            .to_owned(),
    }
}

/// Stops and disables the unit in `unit_dir`, removes it and makes systemd
/// forget it; nothing when there is no unit.
pub fn uninstall_plan_in(unit_dir: &Path) -> Plan<Infallible> {
    let path = unit_dir.join(UNIT);
    if !path.exists() {
        return Plan {
            steps: Vec::new(),
            outcome: format!("nothing to uninstall: there is no {}", path.display()),
        };
    }
    let advice = format!(
        "The unit is still at {}: run `systemctl --user disable --now {UNIT}` in your desktop \
         session and `subscriber uninstall` again (without systemd, just remove the file)",
        path.display()
    );
    Plan {
        steps: vec![
            Step::Run {
                argv: systemctl(&["disable", "--now", UNIT]),
                check: Check::Required {
                    advice: advice.clone(),
                },
            },
            Step::RemoveFile(path),
            Step::Run {
                argv: systemctl(&["daemon-reload"]),
                check: Check::Required { advice },
            },
        ],
        outcome: "uninstalled: the agent is stopped and no longer starts at logon".to_owned(),
    }
}

fn systemctl(args: &[&str]) -> Vec<String> {
    ["systemctl", "--user"]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect()
}

/// The user's unit directory: `<config dir>/systemd/user`.
#[cfg(all(unix, not(target_os = "macos")))]
fn unit_dir() -> Result<std::path::PathBuf, super::plan::Error> {
    dirs::config_dir()
        .map(|dir| dir.join("systemd").join("user"))
        .ok_or_else(|| {
            super::plan::Error::with_context(
                super::plan::Kind::Place,
                "no config directory ($XDG_CONFIG_HOME or $HOME) for the systemd user unit",
            )
        })
}

/// [`install_plan_in`] the user's unit directory.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn install_plan(entry: &Entry) -> Result<Plan<Infallible>, super::plan::Error> {
    Ok(install_plan_in(&unit_dir()?, entry))
}

/// [`uninstall_plan_in`] the user's unit directory.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn uninstall_plan() -> Result<Plan<Infallible>, super::plan::Error> {
    Ok(uninstall_plan_in(&unit_dir()?))
}

/// systemd runs the unit without a terminal and keeps its log in the
/// journal: `--background` has nothing to change.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn background() -> std::io::Result<Option<std::path::PathBuf>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(args: &[&str]) -> Entry {
        Entry {
            program: "/home/u/.cargo/bin/subscriber".into(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// `key=value` lines of a unit, comments left out.
    fn settings(unit: &str) -> Vec<(String, String)> {
        unit.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('['))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// The installed unit is `deploy/systemd/subscriber.service` but for
    /// `ExecStart`: same sections, same restart policy, so the two cannot
    /// drift apart.
    #[test]
    fn the_unit_is_the_deploy_unit_with_the_installed_command_line() {
        let deploy = include_str!("../../../deploy/systemd/subscriber.service");
        let without_exec = |unit: &str| {
            settings(unit)
                .into_iter()
                .filter(|(k, _)| k != "ExecStart")
                .collect::<Vec<_>>()
        };
        let installed = unit(&entry(&["--output=desktop"]));
        assert_eq!(without_exec(&installed), without_exec(deploy));
        let sections = |unit: &str| {
            unit.lines()
                .filter(|l| l.starts_with('['))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(sections(&installed), sections(deploy));
        assert!(installed
            .lines()
            .any(|l| l == "ExecStart=/home/u/.cargo/bin/subscriber --output=desktop"));
    }

    /// Plain words stay as they are; `%` and `$` are doubled; spaces,
    /// quotes, backslashes and control characters are quoted and escaped.
    #[test]
    fn words_are_quoted_for_systemd() {
        assert_eq!(
            quote("--server=nats://h:4222,h2:4222"),
            "--server=nats://h:4222,h2:4222"
        );
        assert_eq!(quote("--label=x=50%"), "--label=x=50%%");
        assert_eq!(quote("--user-name=$USER"), "--user-name=$$USER");
        assert_eq!(quote("--label=a b"), "\"--label=a b\"");
        assert_eq!(
            quote(r#"--label=say "hi"\now"#),
            r#""--label=say \"hi\"\\now""#
        );
        assert_eq!(quote("a\nb\tc\u{7}"), r#""a\nb\tc\x07""#);
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("'; rm -rf ~"), r#""'; rm -rf ~""#);
        assert_eq!(
            exec_start(&Entry {
                program: "/opt/my apps/subscriber".into(),
                args: vec!["--state-dir=/home/u/50% full".into()],
            }),
            r#""/opt/my apps/subscriber" "--state-dir=/home/u/50%% full""#
        );
    }

    /// Install: the directory, the unit, then daemon-reload, enable and
    /// restart, each required, the failure advice naming the unit.
    #[test]
    #[cfg(unix)] // Its paths are unix ones, joined the host's way.
    fn install_writes_the_unit_then_enables_and_restarts_it() {
        let plan = install_plan_in(Path::new("/c/systemd/user"), &entry(&["--output=json"]));
        let runs: Vec<String> = plan
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Run { argv, check } => {
                    let Check::Required { advice } = check else {
                        panic!("{step:?}")
                    };
                    assert!(advice.contains("/c/systemd/user/subscriber.service"));
                    Some(argv.join(" "))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            runs,
            [
                "systemctl --user daemon-reload",
                "systemctl --user enable subscriber.service",
                "systemctl --user restart subscriber.service",
            ]
        );
        assert_eq!(plan.steps[0], Step::CreateDir("/c/systemd/user".into()));
        assert!(matches!(&plan.steps[1],
            Step::WriteFile { path, content }
                if path == Path::new("/c/systemd/user/subscriber.service")
                    && content == &unit(&entry(&["--output=json"]))));
    }

    /// Uninstall without a unit does nothing and says so; with one it
    /// disables and stops it, removes it, and reloads.
    #[test]
    fn uninstall_removes_an_existing_unit_only() {
        let dir = tempfile::tempdir().unwrap();
        let nothing = uninstall_plan_in(dir.path());
        assert!(nothing.steps.is_empty());
        assert!(nothing
            .outcome
            .starts_with("nothing to uninstall: there is no "));
        std::fs::write(dir.path().join(UNIT), "x").unwrap();
        let plan = uninstall_plan_in(dir.path());
        let shape: Vec<String> = plan
            .steps
            .iter()
            .map(|step| match step {
                Step::Run { argv, .. } => argv.join(" "),
                Step::RemoveFile(path) => format!("rm {}", path.display()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "systemctl --user disable --now subscriber.service".to_owned(),
                format!("rm {}", dir.path().join(UNIT).display()),
                "systemctl --user daemon-reload".to_owned(),
            ]
        );
    }
}
