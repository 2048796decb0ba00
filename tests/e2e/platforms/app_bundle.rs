//! `subscriber bundle`, end to end: the Linux binary makes the macOS app
//! `Remote Message.app` (and an installer package's payload) from itself,
//! as a packager runs it on a release binary; the layout is checked, and
//! the Info.plist and LaunchAgent are read back with Python's `plistlib`,
//! a parser of its own.

use e2e::procs::{bin, expect_exit, run_binary, stderr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `subscriber <args>` with `dir` as its home and no `codesign` on `PATH`.
fn subscriber(dir: &Path, args: &[&str]) -> Output {
    let home = dir.to_str().unwrap();
    run_binary(
        "subscriber",
        args,
        &[("HOME", home), ("PATH", "/usr/bin:/bin")],
    )
}

/// Exit 0; returns stdout.
fn succeeded(out: &Output) -> String {
    expect_exit(out, 0)
}

/// The property list at `path` as JSON (`plistlib`, booleans kept).
fn read_plist(path: &Path) -> serde_json::Value {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, plistlib, sys\n\
             with open(sys.argv[1], 'rb') as f: print(json.dumps(plistlib.load(f)))",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "plistlib cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `bundle --out DIR` makes DIR/Remote Message.app, prints its path last,
/// says it is not signed (no `codesign` here); Info.plist names the bundle
/// id, hides the Dock icon, and its executable is this program, executable;
/// made again, it is replaced in place.
#[test]
fn bundle_makes_the_app_with_its_info_plist() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let bundle = ["bundle", "--out", dist.to_str().unwrap()];
    let out = subscriber(dir.path(), &bundle);
    let stdout = succeeded(&out);
    let app = dist.join("Remote Message.app");
    let last = stdout.lines().last();
    assert_eq!(last, Some(app.to_str().unwrap()), "{stdout}");
    let said = stderr(&out);
    assert!(said.contains("`codesign` is not on PATH"), "{said}");

    let info = read_plist(&app.join("Contents/Info.plist"));
    assert_eq!(info["CFBundleIdentifier"], "com.remote-message.subscriber");
    assert_eq!(info["CFBundleName"], "Remote Message");
    assert_eq!(info["CFBundlePackageType"], "APPL");
    assert_eq!(info["LSUIElement"], true);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        info["CFBundleShortVersionString"],
        version.split(['-', '+']).next().unwrap()
    );
    let executable = app
        .join("Contents/MacOS")
        .join(info["CFBundleExecutable"].as_str().unwrap());
    let mode = std::fs::metadata(&executable).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o111,
        0o111,
        "{} mode {mode:o}",
        executable.display()
    );
    assert_eq!(
        std::fs::read(&executable).unwrap(),
        std::fs::read(bin("subscriber")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(app.join("Contents/PkgInfo")).unwrap(),
        "APPL????"
    );

    succeeded(&subscriber(dir.path(), &bundle));
    let mut files: Vec<String> = walk(&app);
    files.sort();
    assert_eq!(
        files,
        [
            "Contents/Info.plist",
            "Contents/MacOS/subscriber",
            "Contents/PkgInfo"
        ]
    );
}

/// `bundle --pkg-root ROOT` lays out what `pkgbuild --root` takes: the app
/// in Applications and, in Library/LaunchAgents, the LaunchAgent for every
/// user that starts it with --background. `--print` writes nothing.
#[test]
fn bundle_makes_the_package_payload() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let bundle = ["bundle", "--pkg-root", root.to_str().unwrap()];
    let preview = succeeded(&subscriber(
        dir.path(),
        &[&bundle[..], &["--print"]].concat(),
    ));
    assert!(!root.exists(), "--print wrote:\n{preview}");
    assert!(preview.contains("would write "), "{preview}");
    succeeded(&subscriber(dir.path(), &bundle));
    let mut files = walk(&root);
    files.sort();
    assert_eq!(
        files,
        [
            "Applications/Remote Message.app/Contents/Info.plist",
            "Applications/Remote Message.app/Contents/MacOS/subscriber",
            "Applications/Remote Message.app/Contents/PkgInfo",
            "Library/LaunchAgents/com.remote-message.subscriber.plist",
        ]
    );
    let agent = read_plist(&root.join("Library/LaunchAgents/com.remote-message.subscriber.plist"));
    assert_eq!(agent["Label"], "com.remote-message.subscriber");
    assert_eq!(
        agent["ProgramArguments"],
        serde_json::json!([
            "/Applications/Remote Message.app/Contents/MacOS/subscriber",
            "--background"
        ])
    );
    assert_eq!(agent["RunAtLoad"], true);
}

/// `bundle` needs one of --out and --pkg-root, not both: a usage error.
#[test]
fn bundle_needs_one_place() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["bundle"][..],
        &["bundle", "--out", "a", "--pkg-root", "b"],
    ] {
        let out = subscriber(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

/// The files under `dir`, as paths relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                files.push(relative.display().to_string());
            }
        }
    }
    files
}
