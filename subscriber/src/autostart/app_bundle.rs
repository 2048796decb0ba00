//! The macOS application bundle `Remote Message.app`, made from this
//! program: Notification Center shows notifications only for a process
//! that has a bundle identifier, which a bare binary has not. `subscriber
//! install` makes it in `~/Applications` on macOS, `subscriber bundle`
//! anywhere (for packagers, from a release binary, on any OS). The layout:
//!
//! ```text
//! Remote Message.app/Contents/Info.plist       CFBundleIdentifier, LSUIElement…
//! Remote Message.app/Contents/PkgInfo          APPL????
//! Remote Message.app/Contents/MacOS/subscriber this program
//! ```
//!
//! Pure (the Info.plist text, the steps), compiled and tested on every
//! host; the bundle's own changes ([`Change`]: the program copied in, files
//! readable by all, the bundle removed) are plain file operations, made on
//! every host too. The ad-hoc signature is `codesign`'s, run when it is on
//! `PATH` (macOS).

use super::plan::{ApplyNative, Check, Error, Kind, NativeStep, Step};
use std::path::{Path, PathBuf};

/// The bundle identifier: Notification Center files the notifications
/// under it. The LaunchAgent's label is the same name.
pub const BUNDLE_ID: &str = "com.remote-message.subscriber";

/// The name the user sees (Notification Center, System Settings).
pub const APP_NAME: &str = "Remote Message";

/// The bundle directory's name.
pub const APP_DIR: &str = "Remote Message.app";

/// The program's name inside `Contents/MacOS` (`CFBundleExecutable`).
pub const EXECUTABLE: &str = "subscriber";

/// The oldest macOS the app opens on: the UserNotifications framework's
/// (`UNUserNotificationCenter`, macOS 10.14); what came later
/// (`interruptionLevel`, macOS 12) is used only where it exists.
pub const MINIMUM_MACOS: &str = "10.14";

/// `Contents/PkgInfo`: the package type and creator code, no newline.
pub const PKG_INFO: &str = "APPL????";

/// Why a failed `codesign` does not stop the install (`--print` shows it).
const UNSIGNED: &str = "the app then runs unsigned, and Notification Center may not list it";

/// One application bundle, by the path of its `.app` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub path: PathBuf,
}

impl App {
    /// `Remote Message.app` in `dir`.
    pub fn in_dir(dir: &Path) -> App {
        App {
            path: dir.join(APP_DIR),
        }
    }

    /// `Contents/MacOS/subscriber`: the program launchd starts.
    pub fn executable(&self) -> PathBuf {
        self.path.join("Contents").join("MacOS").join(EXECUTABLE)
    }

    /// `Contents/Info.plist`.
    pub fn info_plist(&self) -> PathBuf {
        self.path.join("Contents").join("Info.plist")
    }

    /// Whether a bundle this program made is there: its Info.plist names
    /// [`BUNDLE_ID`] (so `uninstall` never removes someone else's app).
    pub fn is_ours(&self) -> bool {
        std::fs::read_to_string(self.info_plist())
            .is_ok_and(|text| text.contains(&format!("<string>{BUNDLE_ID}</string>")))
    }
}

/// A version as `CFBundleVersion` and `CFBundleShortVersionString` take
/// it: up to three numbers separated by dots, so a Cargo version's
/// pre-release or build part (`0.3.0-rc.1`, `1.0.0+abc`) is left off.
pub fn bundle_version(version: &str) -> &str {
    let end = version.find(['-', '+']).unwrap_or(version.len());
    &version[..end]
}

/// The bundle's `Info.plist` (XML), for this program at `version`.
pub fn info_plist(version: &str) -> String {
    let version = escape(bundle_version(version));
    let name = escape(APP_NAME);
    let id = escape(BUNDLE_ID);
    let executable = escape(EXECUTABLE);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>CFBundleDevelopmentRegion</key>
	<string>en</string>
	<key>CFBundleDisplayName</key>
	<string>{name}</string>
	<key>CFBundleExecutable</key>
	<string>{executable}</string>
	<key>CFBundleIdentifier</key>
	<string>{id}</string>
	<key>CFBundleInfoDictionaryVersion</key>
	<string>6.0</string>
	<key>CFBundleName</key>
	<string>{name}</string>
	<key>CFBundlePackageType</key>
	<string>APPL</string>
	<key>CFBundleShortVersionString</key>
	<string>{version}</string>
	<key>CFBundleVersion</key>
	<string>{version}</string>
	<key>LSMinimumSystemVersion</key>
	<string>{MINIMUM_MACOS}</string>
	<key>LSUIElement</key>
	<true/>
</dict>
</plist>
"#
    )
}

/// `text` as XML character data: `&`, `<`, `>` and quotes as entities.
/// The words written hold no control characters (refused before), which
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

/// A change to the bundle (or, for the installer package, beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Copies `from` to `to`, executable by all: to a temporary name beside
    /// `to`, then renamed over it, so an agent running from `to` keeps its
    /// own (now unlinked) file whole.
    CopyProgram { from: PathBuf, to: PathBuf },
    /// Writes a file readable by all (LaunchServices, launchd and every
    /// user read the bundle), replacing it whole.
    WritePublic { path: PathBuf, content: String },
    /// Removes the bundle directory and all in it.
    RemoveApp(PathBuf),
}

impl NativeStep for Change {
    fn preview(&self) -> String {
        match self {
            Change::CopyProgram { from, to } => format!(
                "would copy {} to {} (as {}, then renamed over it)\n",
                from.display(),
                to.display(),
                temporary(to).display()
            ),
            Change::WritePublic { path, content } => {
                let newline = if content.ends_with('\n') { "" } else { "\n" };
                format!(
                    "would write {} ({} lines, readable by all):\n{content}{newline}",
                    path.display(),
                    content.lines().count()
                )
            }
            Change::RemoveApp(path) => format!("would remove {} and all in it\n", path.display()),
        }
    }
}

impl ApplyNative for Change {
    fn apply(&self) -> Result<String, Error> {
        let failed = |what: &str, path: &Path, e: std::io::Error| {
            Error::with_context(
                Kind::Write,
                format!("cannot {what} {}: {e}", path.display()),
            )
            .caused_by(e)
        };
        match self {
            Change::CopyProgram { from, to } => {
                let temporary = temporary(to);
                std::fs::copy(from, &temporary)
                    .map_err(|e| failed("copy the program to", &temporary, e))?;
                set_mode(&temporary, 0o755)
                    .map_err(|e| failed("make executable", &temporary, e))?;
                std::fs::rename(&temporary, to).map_err(|e| failed("replace", to, e))?;
                Ok(format!("copied {} to {}", from.display(), to.display()))
            }
            Change::WritePublic { path, content } => {
                let temporary = temporary(path);
                std::fs::write(&temporary, content).map_err(|e| failed("write", &temporary, e))?;
                set_mode(&temporary, 0o644).map_err(|e| failed("write", &temporary, e))?;
                std::fs::rename(&temporary, path).map_err(|e| failed("write", path, e))?;
                Ok(format!("wrote {}", path.display()))
            }
            Change::RemoveApp(path) => match std::fs::remove_dir_all(path) {
                Ok(()) => Ok(format!("removed {}", path.display())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok(format!("removed {} (it was gone)", path.display()))
                }
                Err(e) => Err(failed("remove", path, e)),
            },
        }
    }
}

/// Where a file is written before it is renamed to `path`: a hidden name
/// beside it, the same file system (the rename is atomic).
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.new"))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// No modes on Windows: the bundle is only made there to be copied to a Mac.
#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Makes or updates `app` from `program` (this program's path) at
/// `version`: its directories, the program, Info.plist and PkgInfo, then,
/// when `codesign` (is on `PATH`), an ad-hoc signature of the whole bundle.
pub fn make_steps(app: &App, program: &Path, version: &str, codesign: bool) -> Vec<Step<Change>> {
    let contents = app.path.join("Contents");
    let mut steps = vec![
        Step::CreateDir(contents.join("MacOS")),
        Step::Native(Change::CopyProgram {
            from: program.to_owned(),
            to: app.executable(),
        }),
        Step::Native(Change::WritePublic {
            path: app.info_plist(),
            content: info_plist(version),
        }),
        Step::Native(Change::WritePublic {
            path: contents.join("PkgInfo"),
            content: PKG_INFO.to_owned(),
        }),
    ];
    if codesign {
        steps.push(Step::Run {
            argv: vec![
                "codesign".to_owned(),
                "--force".to_owned(),
                "-s".to_owned(),
                "-".to_owned(),
                app.path.display().to_string(),
            ],
            check: Check::Ignored { why: UNSIGNED },
        });
    }
    steps
}

/// Whether `codesign` is on `PATH` (on macOS it is, in /usr/bin).
pub fn codesign_found() -> bool {
    which::which("codesign").is_ok()
}

/// The note printed when `codesign` is not found: the bundle is made, not signed.
pub fn unsigned_note(app: &App) -> String {
    format!(
        "subscriber: note: `codesign` is not on PATH, so {} is not signed: on a Mac, sign it \
         with `codesign --force -s - '{}'` (or your Developer ID) before it runs",
        app.path.display(),
        app.path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)] // Used by the tests with unix paths only.
    use crate::autostart::plan::Plan;

    /// Info.plist parses as a property list with the bundle's identity, the
    /// executable, the version without its pre-release part, and no Dock icon.
    #[test]
    fn info_plist_parses_with_the_bundle_identity() {
        let value = plist::Value::from_reader_xml(info_plist("1.2.3-rc.1").as_bytes()).unwrap();
        let dict = value.as_dictionary().unwrap();
        let text = |key: &str| dict[key].as_string().unwrap().to_owned();
        assert_eq!(text("CFBundleIdentifier"), BUNDLE_ID);
        assert_eq!(text("CFBundleName"), "Remote Message");
        assert_eq!(text("CFBundleDisplayName"), "Remote Message");
        assert_eq!(text("CFBundleExecutable"), "subscriber");
        assert_eq!(text("CFBundlePackageType"), "APPL");
        assert_eq!(text("CFBundleVersion"), "1.2.3");
        assert_eq!(text("CFBundleShortVersionString"), "1.2.3");
        assert_eq!(text("LSMinimumSystemVersion"), "10.14");
        assert_eq!(dict["LSUIElement"].as_boolean(), Some(true));
        // This build's own version goes in as it is when it has no suffix.
        let ours = info_plist(env!("CARGO_PKG_VERSION"));
        assert!(ours.contains(&format!(
            "<string>{}</string>",
            bundle_version(env!("CARGO_PKG_VERSION"))
        )));
    }

    /// Cargo versions lose their pre-release and build parts only.
    #[test]
    fn bundle_versions_are_numbers_and_dots() {
        assert_eq!(bundle_version("0.4.0"), "0.4.0");
        assert_eq!(bundle_version("0.4.0-rc.1"), "0.4.0");
        assert_eq!(bundle_version("1.0.0+build.5"), "1.0.0");
    }

    /// Every XML special character becomes an entity, the rest stays.
    #[test]
    fn escape_makes_xml_character_data() {
        assert_eq!(
            escape(r#"R&D <"x"> 'y' été"#),
            "R&amp;D &lt;&quot;x&quot;&gt; &apos;y&apos; été"
        );
    }

    /// The steps: the directory, the program by a temporary name, the two
    /// files, then the signature when `codesign` is there; `--print` shows
    /// each.
    #[test]
    #[cfg(unix)] // Its paths are unix ones, joined the host's way.
    fn the_steps_make_the_layout_then_sign() {
        let app = App::in_dir(Path::new("/Users/u/Applications"));
        let steps = make_steps(&app, Path::new("/tmp/subscriber"), "0.4.0", true);
        let plan = Plan {
            steps,
            outcome: "done".into(),
        };
        let preview = plan.preview();
        let lines: Vec<&str> = preview
            .lines()
            .filter(|line| line.starts_with("would") || line.starts_with("then"))
            .collect();
        let app_dir = "/Users/u/Applications/Remote Message.app";
        assert_eq!(
            lines,
            [
                format!("would create the directory {app_dir}/Contents/MacOS"),
                format!(
                    "would copy /tmp/subscriber to {app_dir}/Contents/MacOS/subscriber \
                     (as {app_dir}/Contents/MacOS/.subscriber.new, then renamed over it)"
                ),
                format!("would write {app_dir}/Contents/Info.plist (28 lines, readable by all):"),
                format!("would write {app_dir}/Contents/PkgInfo (1 lines, readable by all):"),
                format!(
                    "would run: codesign --force -s - '{app_dir}'   (a failure is fine: {UNSIGNED})"
                ),
                "then: done".to_owned(),
            ]
        );
        assert!(preview.contains("\nAPPL????\n"), "{preview}");
        let unsigned = make_steps(&app, Path::new("/tmp/subscriber"), "0.4.0", false);
        assert_eq!(unsigned.len(), 4);
        assert!(unsigned_note(&app)
            .contains("codesign --force -s - '/Users/u/Applications/Remote Message.app'"));
    }

    /// Applied, the steps make the bundle: an executable copy of the
    /// program, Info.plist and PkgInfo readable by all; applied again over
    /// it they replace it; it is ours, and removing it removes it all.
    #[test]
    #[cfg(unix)]
    fn applied_the_steps_make_and_replace_the_bundle() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("built");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let app = App::in_dir(&dir.path().join("out"));
        assert!(!app.is_ours());
        for round in ["one", "two"] {
            std::fs::write(&program, format!("#!/bin/sh\n# {round}\n")).unwrap();
            let plan = Plan {
                steps: make_steps(&app, &program, "0.4.0", false),
                outcome: "made".into(),
            };
            let mut out = Vec::new();
            plan.apply(&mut out).unwrap();
            let copied = std::fs::read_to_string(app.executable()).unwrap();
            assert!(copied.ends_with(&format!("# {round}\n")), "{copied}");
        }
        let mode = |path: PathBuf| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(app.executable()), 0o755);
        assert_eq!(mode(app.info_plist()), 0o644);
        assert_eq!(
            std::fs::read_to_string(app.path.join("Contents/PkgInfo")).unwrap(),
            "APPL????"
        );
        let leftovers: Vec<_> = std::fs::read_dir(app.path.join("Contents/MacOS"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["subscriber"]);
        assert!(app.is_ours());
        Change::RemoveApp(app.path.clone()).apply().unwrap();
        assert!(!app.path.exists());
    }
}
