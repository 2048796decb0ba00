//! `subscriber install` / `uninstall` on Linux, end to end: the real binary
//! with `HOME` and `XDG_CONFIG_HOME` in a temporary directory and a fake
//! `systemctl` first on `PATH` that records its arguments (the real one
//! needs a user's systemd, which tests do not have).

use clap::Parser;
use e2e::procs::{bin, finish_within};
use e2e::WAIT;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A user's home with its own config directory, and a fake `systemctl`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A fresh home whose `systemctl` appends its arguments to a record and
    /// exits 0.
    fn new() -> Home {
        Home::with_systemctl("exit 0")
    }

    /// A fresh home whose `systemctl` records its arguments, then runs
    /// `then` (e.g. a failure).
    fn with_systemctl(then: &str) -> Home {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        let fake = home.bin_dir().join("systemctl");
        std::fs::create_dir_all(home.bin_dir()).unwrap();
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\n{then}\n",
                home.record().display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn bin_dir(&self) -> PathBuf {
        self.path().join("bin")
    }

    fn record(&self) -> PathBuf {
        self.path().join("systemctl.calls")
    }

    fn config(&self) -> PathBuf {
        self.path().join("config")
    }

    fn unit_path(&self) -> PathBuf {
        self.config().join("systemd/user/subscriber.service")
    }

    /// The calls the fake `systemctl` recorded, one line each.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.record())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs `subscriber <args>` in the home (its working directory), the
    /// fake `systemctl` first on `PATH`, no NATS variables.
    fn run(&self, args: &[&str]) -> Output {
        self.run_with_path(args, &format!("{}:/usr/bin:/bin", self.bin_dir().display()))
    }

    fn run_with_path(&self, args: &[&str], path: &str) -> Output {
        let child = Command::new(bin("subscriber"))
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.config())
            .env("PATH", path)
            .env_remove("NATS_URL")
            .env_remove("NATS_TOKEN")
            .env_remove("NATS_CREDS")
            .env_remove("NATS_NKEY")
            .env_remove("REMOTE_MESSAGE_LOG_FORMAT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        finish_within(child, WAIT, &format!("subscriber {args:?}"))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the exit code; returns stdout.
fn expect(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The `ExecStart=` line of a unit, split on spaces (the tests' words need
/// no quoting).
fn exec_start(unit: &str) -> Vec<String> {
    unit.lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart= line")
        .split(' ')
        .map(str::to_owned)
        .collect()
}

const AGENT_OPTIONS: [&str; 8] = [
    "--server",
    "nats://nats.example:4222",
    "--output",
    "desktop",
    "--label",
    "dept=sales",
    "--state-dir",
    "state",
];

/// `install --print` prints the unit it would write, whole, under its path,
/// then the systemctl commands; it writes nothing and runs nothing. The
/// unit runs this very binary with the typed options (the relative
/// `--state-dir` made absolute), which the agent's parser accepts.
#[test]
fn install_print_shows_the_unit_and_commands_and_writes_nothing() {
    let home = Home::new();
    let mut args = vec!["install"];
    args.extend(AGENT_OPTIONS);
    args.push("--print");
    let stdout = expect(&home.run(&args), 0);
    let unit_dir = home.config().join("systemd/user");
    let header = format!("would write {} (23 lines):\n", home.unit_path().display());
    let (before, rest) = stdout.split_once(&header).expect(&stdout);
    assert_eq!(
        before,
        format!("would create the directory {}\n", unit_dir.display())
    );
    let unit: String = rest.lines().take(23).map(|l| format!("{l}\n")).collect();
    let after: Vec<&str> = rest.lines().skip(23).collect();
    assert_eq!(
        after,
        [
            "would run: systemctl --user daemon-reload",
            "would run: systemctl --user enable subscriber.service",
            "would run: systemctl --user restart subscriber.service",
            "then: installed: the agent runs now and starts at each logon; its log: \
             journalctl --user -u subscriber -f",
        ]
    );
    let argv = exec_start(&unit);
    let state_dir = home.path().join("state");
    assert_eq!(
        argv,
        [
            bin("subscriber").display().to_string(),
            "--label=dept=sales".into(),
            format!("--state-dir={}", state_dir.display()),
            "--output=desktop".into(),
            "--server=nats://nats.example:4222".into(),
        ]
    );
    let parsed = subscriber::cli::Cli::try_parse_from(&argv).expect("ExecStart parses");
    assert!(parsed.command.is_none());
    assert!(
        unit.contains("\nRestart=on-failure\n") && unit.contains("\nWantedBy=default.target\n")
    );
    assert!(!unit_dir.exists(), "--print wrote {}", unit_dir.display());
    assert_eq!(home.calls(), Vec::<String>::new());
}

/// `install` writes the unit `--print` showed and runs daemon-reload,
/// enable and restart; `uninstall` disables and stops it, removes it and
/// reloads; a second `uninstall` finds nothing, says so, exits 0 and runs
/// nothing.
#[test]
fn install_then_uninstall_with_a_recording_systemctl() {
    let home = Home::new();
    let mut args = vec!["install"];
    args.extend(AGENT_OPTIONS);
    let printed = expect(&home.run(&[&args[..], &["--print"]].concat()), 0);
    let stdout = expect(&home.run(&args), 0);
    let unit = std::fs::read_to_string(home.unit_path()).expect("the unit is written");
    assert!(printed.contains(&unit), "the unit differs from --print's");
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            format!("wrote {}", home.unit_path().display()).as_str(),
            "ran: systemctl --user daemon-reload",
            "ran: systemctl --user enable subscriber.service",
            "ran: systemctl --user restart subscriber.service",
            "installed: the agent runs now and starts at each logon; its log: \
             journalctl --user -u subscriber -f",
        ]
    );
    assert_eq!(
        home.calls(),
        [
            "--user daemon-reload",
            "--user enable subscriber.service",
            "--user restart subscriber.service",
        ]
    );

    let stdout = expect(&home.run(&["uninstall"]), 0);
    assert!(!home.unit_path().exists(), "uninstall left the unit");
    assert_eq!(
        home.calls()[3..],
        [
            "--user disable --now subscriber.service",
            "--user daemon-reload"
        ]
    );
    assert!(
        stdout.ends_with("uninstalled: the agent is stopped and no longer starts at logon\n"),
        "{stdout}"
    );

    let stdout = expect(&home.run(&["uninstall"]), 0);
    assert_eq!(
        stdout,
        format!(
            "nothing to uninstall: there is no {}\n",
            home.unit_path().display()
        )
    );
    assert_eq!(home.calls().len(), 5, "the second uninstall ran systemctl");
}

/// A password in a `--server` URL, or a `--token`, is refused with exit 2
/// before anything is written or run, and never printed.
#[test]
fn secrets_on_the_command_line_are_refused_and_nothing_is_written() {
    let home = Home::new();
    for secret in [
        &["--server", "nats://agent:s3cret@nats.example:4222"][..],
        &["--token", "s3cret"],
    ] {
        let out = home.run(&[&["install"][..], secret].concat());
        expect(&out, 2);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert!(stderr.contains("settings file"), "{stderr}");
        assert!(stderr.contains("Nothing was written"), "{stderr}");
    }
    assert!(!home.config().join("systemd").exists());
    assert_eq!(home.calls(), Vec::<String>::new());
}

/// The settings file is where secrets go: its values are not copied into
/// the unit (the agent reads the file itself at logon), so a password there
/// does not stop `install`.
#[test]
fn the_settings_file_stays_out_of_the_unit() {
    let home = Home::new();
    let settings = home.config().join("remote-message/subscriber.toml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        "server = \"nats://agent:s3cret@nats.example:4222\"\noutput = \"json\"\n",
    )
    .unwrap();
    let stdout = expect(
        &home.run(&["install", "--user-name", "vanessa", "--print"]),
        0,
    );
    assert!(!stdout.contains("s3cret"), "{stdout}");
    assert_eq!(exec_start(&stdout)[1..], ["--user-name=vanessa".to_owned()]);
}

/// When `systemctl` fails (no user bus) or is missing, `install` exits 1
/// with what to do; the unit stays written for a later enable.
#[test]
fn a_failing_or_missing_systemctl_is_exit_1_with_advice() {
    let home = Home::with_systemctl("echo 'Failed to connect to bus: No medium found' >&2; exit 1");
    let out = home.run(&["install"]);
    expect(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "subscriber: `systemctl --user daemon-reload` failed (exit status: 1): \
             Failed to connect to bus: No medium found. The unit is written at "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("loginctl enable-linger"), "{stderr}");
    assert!(home.unit_path().exists());
    assert_eq!(home.calls(), ["--user daemon-reload"]);

    let home = Home::new();
    let out = home.run_with_path(&["install"], "/nonexistent");
    expect(&out, 1);
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("subscriber: `systemctl` was not found. The unit is written at "),
        "{stderr}"
    );
}

/// Agent options typed before `install` (other than the global connection
/// and settings options) would be dropped: refused with exit 2.
#[test]
fn agent_options_before_install_are_refused() {
    let home = Home::new();
    let out = home.run(&["--output", "desktop", "install", "--print"]);
    expect(&out, 2);
    assert!(
        text(&out.stderr).contains("--output before `install`"),
        "{}",
        text(&out.stderr)
    );
    let stdout = expect(
        &home.run(&["--server", "nats://h:4222", "install", "--print"]),
        0,
    );
    assert_eq!(
        exec_start(&stdout)[1..],
        ["--server=nats://h:4222".to_owned()]
    );
}

/// The man page has a page for each new subcommand, and the completions
/// know them and `--print`.
#[test]
fn generated_help_covers_install_and_uninstall() {
    let home = Home::new();
    let man = expect(&home.run(&["--generate", "man"]), 0);
    for page in [
        ".TH subscriber ",
        ".TH subscriber-install ",
        ".TH subscriber-uninstall ",
    ] {
        assert!(man.contains(page), "no {page:?} in the man page");
    }
    for shell in ["complete-bash", "complete-zsh", "complete-fish"] {
        let completions = expect(&home.run(&["--generate", shell]), 0);
        for word in ["install", "uninstall", "print"] {
            assert!(completions.contains(word), "{shell} lacks {word}");
        }
    }
}
