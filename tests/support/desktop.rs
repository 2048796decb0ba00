//! A private desktop per test: an Xvfb display, its own D-Bus session bus
//! and a real notification daemon (dunst) on it, all stopped on drop.
//!
//! dunst records what it received in two places the tests read: its history
//! (`dunstctl history`: summary, body, app name of closed notifications) and,
//! through a rule in the test's dunstrc, one file per notification written
//! by a script as dunst runs it (it also carries the urgency, which the
//! history leaves out).
//!
//! A test clicks a notification's button as a user picks it from dunst's
//! context menu ([`Desktop::choose_action`]): dunst's menu program (dmenu
//! for people) is a script here that picks the action the test named.

use crate::procs::finish_within;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

/// The programs a desktop needs, and where each comes from.
const NEEDED: [(&str, &str); 6] = [
    ("Xvfb", "xvfb"),
    ("dbus-daemon", "dbus-daemon"),
    ("dbus-send", "dbus-bin"),
    ("dunst", "dunst"),
    ("dunstctl", "dunst"),
    ("busctl", "systemd"),
];

/// What dunst got, as its script rule recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// `LOW`, `NORMAL` or `CRITICAL`.
    pub urgency: String,
    /// Milliseconds; 0 means it stays until dismissed.
    pub timeout: String,
}

/// A running private desktop.
pub struct Desktop {
    xvfb: Child,
    bus: Child,
    dunst: Option<Child>,
    display: String,
    bus_address: String,
    dir: tempfile::TempDir,
}

impl Desktop {
    /// Starts Xvfb on a free display, a session bus and dunst, and waits
    /// until dunst answers on the bus. Panics with what to install when a
    /// program is missing.
    pub fn start() -> Desktop {
        let missing: Vec<String> = NEEDED
            .iter()
            .filter(|(program, _)| !on_path(program))
            .map(|(program, package)| format!("{program} (Debian package {package})"))
            .collect();
        assert!(
            missing.is_empty(),
            "the desktop tests need {}: run scripts/ensure-desktop-test-deps (scripts/test does)",
            missing.join(", ")
        );
        let dir = tempfile::tempdir().expect("temp dir");

        // -displayfd 1: Xvfb picks a free display and writes its number on stdout.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "800x300x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let number = first_line(
            xvfb.stdout.take().expect("Xvfb stdout"),
            "Xvfb's display number",
        );
        let display = format!(":{}", number.trim());

        // A bus of its own, with no service activation: only what the test starts is on it.
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(dir.path())).expect("write bus config");
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let bus_address = first_line(bus.stdout.take().expect("bus stdout"), "the bus address")
            .trim()
            .to_owned();

        let mut desktop = Desktop {
            xvfb,
            bus,
            dunst: None,
            display,
            bus_address,
            dir,
        };
        desktop.start_dunst();
        desktop
    }

    /// Starts dunst (again, after [`Desktop::stop_dunst`]) and waits until it answers.
    pub fn start_dunst(&mut self) {
        let record = self.dir.path().join("record");
        std::fs::write(&record, RECORD_SCRIPT).expect("write record script");
        make_executable(&record);
        let choose = self.dir.path().join("choose");
        std::fs::write(&choose, CHOOSE_SCRIPT).expect("write choose script");
        make_executable(&choose);
        let rc = self.dir.path().join("dunstrc");
        std::fs::write(&rc, dunstrc(&record, &choose)).expect("write dunstrc");
        let dunst = Command::new("dunst")
            .arg("-conf")
            .arg(&rc)
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dunst");
        self.dunst = Some(dunst);
        let deadline = Instant::now() + crate::WAIT;
        while !self.dunst_answers() {
            assert!(
                Instant::now() < deadline,
                "dunst did not come up on the test bus"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The environment a program needs to use this desktop.
    pub fn env(&self) -> [(&str, &str); 2] {
        [
            ("DISPLAY", self.display.as_str()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus_address.as_str()),
        ]
    }

    /// Stops the notification daemon (the bus stays).
    pub fn stop_dunst(&mut self) {
        if let Some(mut dunst) = self.dunst.take() {
            let _ = dunst.kill();
            let _ = dunst.wait();
        }
    }

    fn dunst_answers(&self) -> bool {
        Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.Notifications",
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications.GetServerInformation",
            ])
            .envs(self.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs `dunstctl <args>` on this desktop; panics if it fails.
    pub fn dunstctl(&self, args: &[&str]) -> String {
        let out = self.run("dunstctl", args);
        assert!(
            out.status.success(),
            "dunstctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Clicks the button (action) keyed `key` of the notification on
    /// screen that has one, as a user picking it from dunst's context menu
    /// (`dunstctl context`): dunst lists every action of every notification
    /// on screen to its menu program, one a line as `#<label> (<summary>)
    /// [<id>,<key>]`, and invokes the line it gets back. Returns the menu
    /// dunst offered, once the pick is made (dunst then invokes it).
    pub fn choose_action(&self, key: &str) -> Vec<String> {
        let menu = self.dir.path().join("menu");
        let _ = std::fs::remove_file(&menu);
        std::fs::write(self.dir.path().join("choice"), key).expect("write choice");
        self.dunstctl(&["context"]);
        let deadline = Instant::now() + crate::WAIT;
        loop {
            // The script writes the menu to a temporary file and renames it.
            if let Ok(offered) = std::fs::read_to_string(&menu) {
                return offered.lines().map(str::to_owned).collect();
            }
            assert!(
                Instant::now() < deadline,
                "dunst never opened its menu to choose {key}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits, at most [`crate::WAIT`], until dunst has `count` notifications on screen.
    pub fn wait_displayed(&self, count: u32) {
        let deadline = Instant::now() + crate::WAIT;
        loop {
            let shown = self.dunstctl(&["count", "displayed"]);
            if shown.trim().parse::<u32>().is_ok_and(|n| n >= count) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dunst shows {shown} notifications, not {count}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// dunst's history (closed notifications), as `dunstctl history` prints it.
    pub fn history(&self) -> Value {
        let text = self.dunstctl(&["history"]);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("history is not JSON ({e}): {text}"))
    }

    /// The history entry of notification `id`, waiting for it at most [`crate::WAIT`].
    pub fn wait_history_entry(&self, id: u32) -> Value {
        let deadline = Instant::now() + crate::WAIT;
        loop {
            let history = self.history();
            let entry = history["data"][0]
                .as_array()
                .into_iter()
                .flatten()
                .find(|e| e["id"]["data"].as_u64() == Some(id.into()));
            if let Some(entry) = entry {
                return entry.clone();
            }
            assert!(
                Instant::now() < deadline,
                "notification {id} never reached dunst's history: {history}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What dunst received as notification `id`, waiting for its record at
    /// most [`crate::WAIT`].
    pub fn wait_received(&self, id: u32) -> Received {
        let path = self.dir.path().join(format!("received-{id}"));
        let deadline = Instant::now() + crate::WAIT;
        loop {
            // The script writes a temporary file and renames it: complete or absent.
            if let Ok(raw) = std::fs::read(&path) {
                let fields: Vec<String> = raw
                    .split(|b| *b == 0)
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                let field = |i: usize| fields.get(i).cloned().unwrap_or_default();
                return Received {
                    app_name: field(0),
                    summary: field(1),
                    body: field(2),
                    urgency: field(3),
                    timeout: field(4),
                };
            }
            assert!(
                Instant::now() < deadline,
                "dunst recorded no notification {id}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves a PNG of the screen's top right corner, where dunst shows
    /// notifications, to `path` (needs ImageMagick's `import`).
    pub fn screenshot(&self, path: &Path) {
        let out = self.run(
            "import",
            &[
                "-window",
                "root",
                "-crop",
                "480x136+322+0",
                "+repage",
                &path.display().to_string(),
            ],
        );
        assert!(
            out.status.success(),
            "screenshot failed (is imagemagick installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs a program on this desktop, bounded by [`crate::WAIT`].
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        let child = Command::new(program)
            .args(args)
            .envs(self.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        finish_within(child, crate::WAIT, &format!("{program} {args:?}"))
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.stop_dunst();
        for child in [&mut self.bus, &mut self.xvfb] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// dunst runs this for every notification: its arguments are the app name,
/// summary, body, icon and urgency; the environment has the id and timeout.
const RECORD_SCRIPT: &str = r#"#!/bin/sh
out="$(dirname "$0")/received-$DUNST_ID"
printf '%s\0%s\0%s\0%s\0%s' "$1" "$2" "$3" "$5" "$DUNST_TIMEOUT" > "$out.tmp"
mv "$out.tmp" "$out"
"#;

/// dunst's menu program: it saves the menu dunst offers, and picks the
/// line of the action whose key the test wrote to `choice`.
const CHOOSE_SCRIPT: &str = r#"#!/bin/sh
dir="$(dirname "$0")"
cat > "$dir/menu.tmp"
grep -F ",$(cat "$dir/choice")]" "$dir/menu.tmp" | head -n 1
mv "$dir/menu.tmp" "$dir/menu"
"#;

fn dunstrc(record: &Path, choose: &Path) -> String {
    format!(
        r##"[global]
    font = DejaVu Sans 11
    width = 420
    origin = top-right
    offset = 16x16
    frame_width = 2
    padding = 12
    horizontal_padding = 14
    markup = full
    format = "<b>%s</b>\n%b\n<small>%a</small>"
    dmenu = {}
[urgency_low]
    background = "#2b2b2b"
    foreground = "#cccccc"
    frame_color = "#555555"
[urgency_normal]
    background = "#1f2d3d"
    foreground = "#ffffff"
    frame_color = "#5c9bd6"
[urgency_critical]
    background = "#5a1010"
    foreground = "#ffffff"
    frame_color = "#ff6060"
    timeout = 0
[record]
    appname = "*"
    script = {}
"##,
        choose.display(),
        record.display()
    )
}

fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        dir.display()
    )
}

/// The first line a starting program prints, waiting at most [`crate::WAIT`].
fn first_line(stdout: ChildStdout, what: &str) -> String {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep reading so the program never blocks on a full pipe.
        let _ = reader.read_to_end(&mut Vec::new());
    });
    match rx.recv_timeout(crate::WAIT) {
        Ok(line) if !line.trim().is_empty() => line,
        other => panic!("no {what} within {:?} ({other:?})", crate::WAIT),
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
