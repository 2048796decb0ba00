//! The Windows packages as IT rolls them out: the .msi (`scripts/packaging/
//! msi`, from `deploy/windows/remote-message.wxs`) installed, run and
//! uninstalled by wine's `msiexec`, and the zip (`scripts/packaging/zip`).
//!
//! Run by `scripts/packaging/test-msi DIST`, which points [`DIST_VAR`] at
//! what `scripts/package` made and `WINEPREFIX` at a fresh wine prefix
//! whose system32 holds the `bcryptprimitives.dll` shim (wine 8 lacks
//! `ProcessPrng`, which Rust's std imports: test scaffolding, never in the
//! .msi). The tests share that prefix, one at a time (`--test-threads 1`),
//! and each leaves it as it found it. Every wait on wine is bounded by
//! [`WINE_WAIT`].
//!
//! What wine cannot show, and so stays unchecked here: wine 8's msi.dll
//! puts a per-machine install's Start-menu shortcut in the user's Start
//! menu (its `ProgramMenuFolder` is per user, a FIXME in its source;
//! Windows uses `%ProgramData%`), and it ignores the `MsiShortcutProperty`
//! table, so the shortcut's AppUserModelID is checked in the .msi itself.

use e2e::procs::{finish_within, ENGLISH, SYSTEM_CONFIG_VAR};
use e2e::wine::{windows_path, WINE_WAIT};
use e2e::{expect_exit, publisher, Agent, NatsServer};
use nix::sys::signal::Signal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The variable naming the directory `scripts/package` made the packages in.
const DIST_VAR: &str = "PACKAGES_DIST";
/// The logon entry's key (every user's) and value, as the .msi writes them:
/// the value named like the per-user one `subscriber install` writes.
const RUN_KEY: &str = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run";
const RUN_VALUE: &str = "remote-message subscriber";
/// The system-wide settings the agent reads, and the key the .msi owns.
const SETTINGS_KEY: &str = r"HKLM\SOFTWARE\remote-message\subscriber";
const PRODUCT_KEY: &str = r"HKLM\SOFTWARE\remote-message";
/// Where programs are registered for Apps & features.
const UNINSTALL_KEY: &str = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall";
/// The install folder, under drive C:.
const INSTALL_DIR: &str = "Program Files/Remote Message";
/// The agent's AppUserModelID (`APP_ID` in subscriber/src/notify/windows.rs,
/// compiled for Windows only), which its toasts show under.
const APP_ID: &str = "RemoteMessage.Subscriber";
/// The shortcut's file name in a Start menu's Programs folder.
const SHORTCUT: &str = "Remote Message.lnk";

/// The one file in the packages directory whose name ends with `suffix`.
fn package(suffix: &str) -> PathBuf {
    let dist = std::env::var_os(DIST_VAR).unwrap_or_else(|| {
        panic!(
            "{DIST_VAR} is not set: run scripts/packaging/test-msi DIST (or scripts/test-packages)"
        )
    });
    let found: Vec<PathBuf> = std::fs::read_dir(&dist)
        .unwrap_or_else(|e| panic!("{}: {e}", Path::new(&dist).display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("remote-message-") && name.ends_with(suffix)
        })
        .collect();
    assert_eq!(found.len(), 1, "one *{suffix} expected: {found:?}");
    found.into_iter().next().unwrap()
}

/// The wine prefix `scripts/packaging/test-msi` made.
fn prefix() -> PathBuf {
    std::env::var_os("WINEPREFIX")
        .map(PathBuf::from)
        .expect("WINEPREFIX is not set: run scripts/packaging/test-msi DIST")
}

/// A Linux tool (`msiinfo`, `msiextract`, `python3`) to its end, output
/// captured; panics unless it exits 0.
fn tool(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let out = finish_within(child, WINE_WAIT, program);
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `wine <args>` (msiexec, reg) in the test prefix, to its end.
fn wine(args: &[&str]) -> Output {
    let child = Command::new("wine")
        .args(args)
        .env("WINEDEBUG", "-all")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wine");
    finish_within(child, WINE_WAIT, &format!("wine {args:?}"))
}

/// The REG_SZ values of `key` by name, as `reg query` lists them; `None`
/// when there is no such key.
fn reg_values(key: &str) -> Option<BTreeMap<String, String>> {
    let out = wine(&["reg", "query", key]);
    if !out.status.success() {
        return None;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    Some(
        stdout
            .lines()
            .filter_map(|line| line.trim_start().split_once("    REG_SZ"))
            .map(|(name, data)| {
                let data = data.strip_prefix("    ").unwrap_or("");
                (name.to_owned(), data.to_owned())
            })
            .collect(),
    )
}

/// `reg export` of `key` (with its subkeys), as text; `None` when there
/// is no such key.
fn reg_export(key: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.reg");
    let out = wine(&["reg", "export", key, &windows_path(&file), "/y"]);
    if !out.status.success() {
        return None;
    }
    let bytes = std::fs::read(&file).expect("the exported file");
    // UTF-16LE after a byte-order mark, as regedit writes it.
    let units: Vec<u16> = bytes
        .strip_prefix(&[0xff, 0xfe])
        .expect("a UTF-16LE export")
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Some(String::from_utf16(&units).expect("UTF-16 text"))
}

/// Every file, folder and link under the prefix's drive C:, relative to
/// it; links are listed, never followed (the user's folders link to the
/// Linux home).
fn drive_c() -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, into: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            into.insert(relative);
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                walk(&path, root, into);
            }
        }
    }
    let root = prefix().join("drive_c");
    let mut all = BTreeSet::new();
    walk(&root, &root, &mut all);
    all
}

/// What the .msi may change outside itself and the registry: the agent's
/// own run-time data (its state dir and log under the user's
/// `%LOCALAPPDATA%\remote-message`), and the installer cache folder that
/// `msiexec` makes on its first run (`C:\windows\Installer`, there on
/// every Windows).
fn is_not_the_msis(path: &str) -> bool {
    let agents = path.starts_with("users/") && {
        let in_user = path.split_once('/').unwrap().1;
        in_user.split_once('/').is_some_and(|(_, rest)| {
            rest == "AppData/Local/remote-message"
                || rest.starts_with("AppData/Local/remote-message/")
        })
    };
    agents || path == "windows/Installer"
}

/// The rows of an .msi's `table`, as `msiinfo export` prints them (after
/// its three header lines), each a list of columns.
fn msi_rows(msi: &Path, table: &str) -> Vec<Vec<String>> {
    tool(
        "msiinfo",
        &["export".as_ref(), msi.as_os_str(), table.as_ref()],
    )
    .lines()
    .skip(3)
    .map(|line| {
        line.trim_end_matches('\r')
            .split('\t')
            .map(str::to_owned)
            .collect()
    })
    .collect()
}

/// The value of the .msi's property `name`.
fn msi_property(msi: &Path, name: &str) -> String {
    msi_rows(msi, "Property")
        .into_iter()
        .find(|row| row[0] == name)
        .unwrap_or_else(|| panic!("no property {name} in the .msi"))[1]
        .clone()
}

/// The files of `msi`, extracted by `msiextract` into a temp dir (kept
/// while the returned guard lives): the folder holding the two programs.
fn msi_files(msi: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    tool(
        "msiextract",
        &["-C".as_ref(), dir.path().as_os_str(), msi.as_os_str()],
    );
    // Laid out from the install folder down, without ProgramFiles64Folder.
    let programs = dir.path().join("Remote Message");
    (dir, programs)
}

/// `msiexec <args>` under wine, quiet (`/qn`), to its end: what it exited with.
fn msiexec(args: &[&str]) -> Output {
    let mut all = vec!["msiexec"];
    all.extend_from_slice(args);
    all.push("/qn");
    wine(&all)
}

/// The installed agent, started under wine as the logon entry starts it:
/// the program and arguments of `command_line` (the Run value), nothing
/// more, with no server in its environment either. Only its log format
/// comes from the environment, for the harness's waits. Returns it once
/// subscribed, with the session it chose (a fresh one when another agent
/// holds the user's default session).
fn start_installed_agent(command_line: &str) -> (Agent, String) {
    let rest = command_line
        .strip_prefix('"')
        .expect("a quoted program first");
    let (program, args) = rest.split_once('"').expect("the program's closing quote");
    let mut cmd = Command::new("wine");
    cmd.arg(program)
        .args(args.split_whitespace())
        .env("WINEDEBUG", "-all")
        .env("REMOTE_MESSAGE_LOG_FORMAT", "json")
        // The registry is the system-wide settings under test, not a file.
        .env_remove(SYSTEM_CONFIG_VAR)
        .env_remove("NATS_URL")
        .env_remove("NATS_CONTEXT")
        .envs(ENGLISH)
        .env_remove("REMOTE_MESSAGE_LANG");
    let mut agent = Agent::spawn_command_within(cmd, WINE_WAIT);
    let session = agent.wait_event("listening")["session"]
        .as_str()
        .expect("the session id")
        .to_owned();
    agent.wait_subscribed();
    (agent, session)
}

/// The .msi as built (no wine needed): a plain Start-menu shortcut
/// "Remote Message" runs `subscriber.exe --background` and carries the
/// agent's AppUserModelID (its `MsiShortcutProperty` row, which Windows
/// Installer 5 applies and wine ignores); the install is per machine, with
/// a stable UpgradeCode and a major upgrade that replaces older versions;
/// the four settings properties are secure (they reach a managed,
/// elevated install).
#[test]
fn the_msi_declares_the_shortcut_with_its_app_id_and_a_per_machine_upgrade() {
    let msi = package("-x64.msi");
    let shortcuts = msi_rows(&msi, "Shortcut");
    println!("Shortcut: {shortcuts:?}");
    assert_eq!(shortcuts.len(), 1, "{shortcuts:?}");
    let shortcut = &shortcuts[0];
    assert_eq!(
        (
            &shortcut[1][..],
            &shortcut[2][..],
            &shortcut[4][..],
            &shortcut[5][..]
        ),
        (
            "ProgramMenuFolder",
            "Remote Message",
            "[#SubscriberExe]",
            "--background"
        ),
        "{shortcut:?}"
    );
    let properties = msi_rows(&msi, "MsiShortcutProperty");
    println!("MsiShortcutProperty: {properties:?}");
    assert_eq!(
        properties,
        [vec![
            "SubscriberAppUserModelId".to_owned(),
            shortcut[0].clone(),
            "System.AppUserModel.ID".to_owned(),
            APP_ID.to_owned(),
        ]]
    );

    assert_eq!(msi_property(&msi, "ALLUSERS"), "1");
    let upgrade_code = msi_property(&msi, "UpgradeCode");
    assert_eq!(upgrade_code, "{FF522B9A-6581-4499-9D2F-9098ACC42D13}");
    let upgrades = msi_rows(&msi, "Upgrade");
    println!("Upgrade: {upgrades:?}");
    assert!(
        upgrades
            .iter()
            .any(|row| row[0] == upgrade_code && row[6] == "WIX_UPGRADE_DETECTED"),
        "{upgrades:?}"
    );
    let sequence = msi_rows(&msi, "InstallExecuteSequence");
    assert!(
        sequence
            .iter()
            .any(|row| row[0] == "RemoveExistingProducts"),
        "{sequence:?}"
    );
    let secure = msi_property(&msi, "SecureCustomProperties");
    for name in ["NATS_URL", "CREDS", "OUTPUT", "LANG"] {
        assert!(
            secure.split(';').any(|p| p == name),
            "{name} not in {secure}"
        );
    }
}

/// The zip and the .msi ship the same two programs, byte for byte (the
/// .msi's files extracted with `msiextract`); the zip's INSTALL.txt names
/// this version and how to install for a fleet or for one user.
#[test]
fn the_zip_and_the_msi_ship_the_same_programs() {
    let msi = package("-x64.msi");
    let zip = package("-x86_64-windows.zip");
    let (_extracted, from_msi) = msi_files(&msi);
    let from_zip = tempfile::tempdir().unwrap();
    tool(
        "python3",
        &[
            "-m".as_ref(),
            "zipfile".as_ref(),
            "-e".as_ref(),
            zip.as_os_str(),
            from_zip.path().as_os_str(),
        ],
    );
    let version = msi_property(&msi, "ProductVersion");
    let top = from_zip.path().join(format!("remote-message-{version}"));
    let listed: BTreeSet<String> = std::fs::read_dir(&top)
        .unwrap_or_else(|e| panic!("{}: {e}", top.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    println!("zip: {listed:?}");
    assert_eq!(
        listed,
        BTreeSet::from(["INSTALL.txt", "publisher.exe", "subscriber.exe"].map(String::from))
    );
    for exe in ["publisher.exe", "subscriber.exe"] {
        let installed = from_msi.join(exe);
        let installed = std::fs::read(&installed)
            .unwrap_or_else(|e| panic!("{} in the .msi: {e}", installed.display()));
        assert!(installed.starts_with(b"MZ"), "{exe} is no Windows program");
        assert!(
            installed == std::fs::read(top.join(exe)).unwrap(),
            "the zip's {exe} differs"
        );
    }
    let notes = std::fs::read_to_string(top.join("INSTALL.txt")).unwrap();
    println!("INSTALL.txt:\n{notes}");
    assert!(
        notes.contains(&format!("Remote Message {version}")),
        "{notes}"
    );
    assert!(notes.contains("msiexec /i"), "{notes}");
    assert!(notes.contains("subscriber.exe install --server"), "{notes}");
}

/// The whole life of the .msi on one machine, as IT runs it:
/// `msiexec /i X.msi /qn NATS_URL=… OUTPUT=json LANG=fr` exits 0 and
/// installs both programs in `C:\Program Files\Remote Message`, the
/// Start-menu shortcut, the logon entry for every user (HKLM Run) and the
/// settings (HKLM\SOFTWARE\remote-message\subscriber: the properties, and
/// an empty `creds` since none was given), registered for Apps & features.
/// Two agents started exactly as the logon entry starts them (two
/// sessions of the user) take the server from those settings, with none
/// on their command line or in their environment: the first shows a
/// message the Linux publisher sends to its session, the second does not
/// (the next thing it shows is a later broadcast). Both stopped, the
/// user's own `subscriber install` is refused (exit 2, no HKCU Run value:
/// it would start a second agent at each logon), and
/// `msiexec /x X.msi /qn` exits 0 and leaves drive C:, the Run key (whose
/// other entry stays) and the product's key as they were before, but for
/// the agent's own run-time data (its state under `%LOCALAPPDATA%`).
#[test]
fn the_msi_installs_configures_the_agent_and_uninstalls_without_a_trace() {
    let msi = package("-x64.msi");
    let msi_arg = windows_path(&msi);
    let server = NatsServer::start();
    // Another program's logon entry, as on any real machine: uninstall
    // must leave it (and wine removes a key it empties).
    let other = wine(&[
        "reg",
        "add",
        RUN_KEY,
        "/v",
        "other program",
        "/d",
        r"C:\other.exe",
        "/f",
    ]);
    assert!(other.status.success(), "{other:?}");
    let files_before = drive_c();
    let run_before = reg_export(RUN_KEY);
    let product_before = reg_export(PRODUCT_KEY);
    assert!(run_before.is_some(), "the Run key is missing");
    assert_eq!(product_before, None, "the prefix is not fresh");

    let server_url = server.url();
    let install = msiexec(&[
        "/i",
        &msi_arg,
        &format!("NATS_URL={server_url}"),
        "OUTPUT=json",
        "LANG=fr",
    ]);
    assert_eq!(install.status.code(), Some(0), "msiexec /i: {install:?}");

    let drive = prefix().join("drive_c");
    for exe in ["publisher.exe", "subscriber.exe"] {
        let path = drive.join(INSTALL_DIR).join(exe);
        assert!(
            path.metadata().is_ok_and(|m| m.len() > 0),
            "{} missing",
            path.display()
        );
    }
    let files_installed = drive_c();
    let shortcuts: Vec<&String> = files_installed
        .difference(&files_before)
        .filter(|path| path.ends_with(&format!("/Start Menu/Programs/{SHORTCUT}")))
        .collect();
    println!("shortcut: {shortcuts:?}");
    assert_eq!(shortcuts.len(), 1, "{shortcuts:?}");
    let link = std::fs::read(drive.join(shortcuts[0])).unwrap();
    let utf16 =
        |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    assert!(
        link.windows(utf16("--background").len())
            .any(|w| w == utf16("--background")),
        "the shortcut does not pass --background"
    );
    // Wine's msi.dll ignores MsiShortcutProperty: said, not asserted.
    let carries_app_id = link
        .windows(utf16(APP_ID).len())
        .any(|w| w == utf16(APP_ID));
    println!("the installed shortcut carries {APP_ID}: {carries_app_id} (wine ignores MsiShortcutProperty)");

    let run = reg_values(RUN_KEY).expect("the Run key");
    let command_line = run.get(RUN_VALUE).expect("no logon entry").clone();
    println!("{RUN_KEY}\\{RUN_VALUE} = {command_line}");
    assert_eq!(
        command_line,
        r#""C:\Program Files\Remote Message\subscriber.exe" --background"#
    );
    let settings = reg_values(SETTINGS_KEY).expect("no settings key");
    println!("{SETTINGS_KEY}: {settings:?}");
    let expected: BTreeMap<String, String> = [
        ("server", server_url.as_str()),
        ("creds", ""),
        ("output", "json"),
        ("lang", "fr"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(settings, expected);
    let arp = apps_and_features(&msi).expect("not registered for Apps & features");
    let version = msi_property(&msi, "ProductVersion");
    for (name, value) in [
        ("DisplayName", "Remote Message"),
        ("Publisher", "Remote Message"),
        ("DisplayVersion", version.as_str()),
        ("InstallLocation", r"C:\Program Files\Remote Message\"),
    ] {
        assert_eq!(
            arp.get(name).map(String::as_str),
            Some(value),
            "{name}: {arp:?}"
        );
    }
    // No settings of the user's own: the server can only come from HKLM.
    assert!(
        !files_installed
            .iter()
            .any(|p| p.ends_with("AppData/Roaming/remote-message/subscriber.toml")),
        "a user settings file exists"
    );

    let (mut first, first_session) = start_installed_agent(&command_line);
    let (mut second, second_session) = start_installed_agent(&command_line);
    println!("installed agents: sessions {first_session} and {second_session}");
    assert_ne!(first_session, second_session);

    let sent = expect_exit(
        &publisher(
            &server_url,
            &["send", "--session", &first_session, "Installed by msiexec"],
        ),
        0,
    );
    assert!(sent.contains(": delivered"), "{sent}");
    expect_exit(&publisher(&server_url, &["send", "marker"]), 0);
    let shown = first.next_message();
    println!("first installed agent: {shown}");
    assert_eq!(shown["text"], "Installed by msiexec");
    assert_eq!(shown["target"], "session");
    assert_eq!(first.next_text(), "marker");
    assert_eq!(
        second.next_text(),
        "marker",
        "the second session showed the first one's message"
    );

    for agent in [&mut first, &mut second] {
        agent.signal(Signal::SIGINT);
        assert_eq!(agent.wait_exit().code(), Some(0), "{:?}", agent.logs());
    }

    // A user's own `subscriber install` beside the machine-wide entry
    // would start a second agent at each logon: refused, nothing written.
    let installed = command_line
        .strip_prefix('"')
        .and_then(|rest| rest.split_once('"'))
        .expect("a quoted program first")
        .0;
    let per_user = wine(&[installed, "install", "--output", "desktop"]);
    let stderr = String::from_utf8_lossy(&per_user.stderr);
    assert_eq!(per_user.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{RUN_KEY}\\{RUN_VALUE}")),
        "{stderr}"
    );
    assert_eq!(
        reg_values(&RUN_KEY.replacen("HKLM", "HKCU", 1))
            .and_then(|run| run.get(RUN_VALUE).cloned()),
        None,
        "a per-user Run value was written beside the machine's"
    );

    let uninstall = msiexec(&["/x", &msi_arg]);
    assert_eq!(
        uninstall.status.code(),
        Some(0),
        "msiexec /x: {uninstall:?}"
    );
    let files_after = drive_c();
    let left: Vec<&String> = files_after
        .difference(&files_before)
        .filter(|path| !is_not_the_msis(path))
        .collect();
    assert!(left.is_empty(), "left by the .msi: {left:?}");
    let kept: Vec<&String> = files_after.difference(&files_before).collect();
    println!("after uninstall, not the .msi's: {kept:?}");
    let removed: Vec<&String> = files_before.difference(&files_after).collect();
    assert!(
        removed.is_empty(),
        "removed what was there before: {removed:?}"
    );
    assert_eq!(reg_export(RUN_KEY), run_before, "the Run key changed");
    assert_eq!(reg_export(PRODUCT_KEY), None, "{PRODUCT_KEY} is left");
    assert_eq!(apps_and_features(&msi), None, "still in Apps & features");
}

/// The install's entry in Apps & features: its REG_SZ values, `None`
/// when `msi`'s product is not installed.
fn apps_and_features(msi: &Path) -> Option<BTreeMap<String, String>> {
    let product_code = msi_property(msi, "ProductCode");
    reg_values(&format!(r"{UNINSTALL_KEY}\{product_code}"))
}

/// A newer .msi than `msi` (its patch number plus one), made by
/// `scripts/packaging/msi` from the programs `msi` holds, into `out`.
fn newer_msi(msi: &Path, out: &Path) -> PathBuf {
    let version = msi_property(msi, "ProductVersion");
    let (major_minor, patch) = version.rsplit_once('.').expect("x.y.z");
    let newer = format!("{major_minor}.{}", patch.parse::<u32>().unwrap() + 1);
    let (_extracted, programs) = msi_files(msi);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/packaging/msi");
    let child = Command::new(&script)
        .env("VERSION", &newer)
        .env("OUT", out)
        .env("WINDOWS_BIN_DIR", &programs)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", script.display()));
    let out = finish_within(child, WINE_WAIT, "scripts/packaging/msi");
    assert!(out.status.success(), "scripts/packaging/msi: {out:?}");
    let made = String::from_utf8(out.stdout).unwrap();
    PathBuf::from(made.lines().last().expect("the .msi's path").trim())
}

/// A newer .msi replaces the installed one (its major upgrade): installed
/// with no properties, it exits 0, Apps & features lists it alone, and
/// the settings the older one was given are kept (an upgrade rolled out
/// without them must not leave the agents without a server). The older
/// .msi then refuses to install over it (a downgrade: non-zero exit, the
/// newer stays). Uninstalling the newer removes the settings and the
/// logon entry.
#[test]
fn a_newer_msi_replaces_the_older_and_keeps_its_settings() {
    let msi = package("-x64.msi");
    let out = tempfile::tempdir().unwrap();
    let newer = newer_msi(&msi, out.path());
    assert_eq!(apps_and_features(&msi), None, "the prefix is not fresh");
    let server = "nats://nats.example.com:4222";

    let install = msiexec(&[
        "/i",
        &windows_path(&msi),
        &format!("NATS_URL={server}"),
        "OUTPUT=desktop",
    ]);
    assert_eq!(install.status.code(), Some(0), "msiexec /i: {install:?}");
    let upgrade = msiexec(&["/i", &windows_path(&newer)]);
    assert_eq!(
        upgrade.status.code(),
        Some(0),
        "msiexec /i newer: {upgrade:?}"
    );
    let entry = apps_and_features(&newer).expect("the newer is not installed");
    println!("after the upgrade: {entry:?}");
    assert_eq!(
        entry.get("DisplayVersion"),
        Some(&msi_property(&newer, "ProductVersion"))
    );
    assert_eq!(
        apps_and_features(&msi),
        None,
        "the older is still installed"
    );
    let settings = reg_values(SETTINGS_KEY).expect("no settings after the upgrade");
    println!("{SETTINGS_KEY} after the upgrade: {settings:?}");
    assert_eq!(settings.get("server").map(String::as_str), Some(server));
    assert_eq!(settings.get("output").map(String::as_str), Some("desktop"));
    assert!(prefix()
        .join("drive_c")
        .join(INSTALL_DIR)
        .join("subscriber.exe")
        .exists());

    let downgrade = msiexec(&["/i", &windows_path(&msi)]);
    println!("the older over the newer: {:?}", downgrade.status);
    assert_ne!(downgrade.status.code(), Some(0), "a downgrade installed");
    assert!(
        apps_and_features(&newer).is_some(),
        "the downgrade removed the newer"
    );

    let uninstall = msiexec(&["/x", &windows_path(&newer)]);
    assert_eq!(
        uninstall.status.code(),
        Some(0),
        "msiexec /x: {uninstall:?}"
    );
    assert_eq!(reg_export(PRODUCT_KEY), None, "{PRODUCT_KEY} is left");
    let run = reg_values(RUN_KEY).unwrap_or_default();
    assert!(
        !run.contains_key(RUN_VALUE),
        "the logon entry is left: {run:?}"
    );
    assert!(
        !prefix().join("drive_c").join(INSTALL_DIR).exists(),
        "the install folder is left"
    );
}
