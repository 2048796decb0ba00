//! Clean Debian roots for the .deb tests (`tests/e2e/packages/deb.rs`): the
//! package is installed with the real `dpkg` and its programs run with
//! `chroot`, as on a freshly installed desktop, while the harness's
//! nats-server and publisher stay on the host (a chroot shares the host's
//! network, so `127.0.0.1` is the same in both).
//!
//! `scripts/packaging/test-deb` makes one pristine root (debootstrap,
//! cached) and sets the two variables read here: [`DIST_DIR_VAR`] (the
//! directory holding the .deb) and [`ROOT_VAR`] (the pristine root). Each
//! test gets its own [`DebianRoot`]: an overlay over the pristine one, so
//! tests install, configure and remove in parallel without copying a
//! system each and without touching the pristine root. Needs root (mount,
//! chroot), as the script is run.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::procs::finish_within;

/// The variable naming the directory `scripts/package` made the .deb in.
pub const DIST_DIR_VAR: &str = "REMOTE_MESSAGE_DIST_DIR";

/// The variable naming the pristine Debian root (never written).
pub const ROOT_VAR: &str = "REMOTE_MESSAGE_DEBIAN_ROOT";

/// Upper bound for one command in a root: `dpkg -i` runs the man-db
/// trigger, seconds on a busy machine.
pub const ROOT_WAIT: Duration = Duration::from_secs(120);

/// What the .deb tests need, named by the variables `test-deb` sets.
#[derive(Debug, Clone)]
pub struct Packages {
    /// The .deb itself (`remote-message_<version>_<arch>.deb`).
    pub deb: PathBuf,
    pristine: PathBuf,
}

impl Packages {
    /// The .deb in [`DIST_DIR_VAR`] and the root in [`ROOT_VAR`]. Panics,
    /// saying to run the script, when either is missing: a package test
    /// must never pass without the package.
    pub fn from_env() -> Packages {
        let run = "run scripts/test-packages (or scripts/packaging/test-deb DIST_DIR), which \
                   makes the packages and a clean Debian root and runs these tests";
        let var = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("{name} is not set: {run}"))
        };
        let dist = var(DIST_DIR_VAR);
        let pristine = var(ROOT_VAR);
        assert!(
            pristine.join("usr/bin/dpkg").exists(),
            "{} holds no Debian root: {run}",
            pristine.display()
        );
        let debs: Vec<PathBuf> = std::fs::read_dir(&dist)
            .unwrap_or_else(|e| panic!("{}: {e}: {run}", dist.display()))
            .map(|entry| entry.expect("dist entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
            .collect();
        let [deb] = &debs[..] else {
            panic!(
                "{} holds {} .deb files, not one: {run}",
                dist.display(),
                debs.len()
            );
        };
        Packages {
            deb: deb.clone(),
            pristine,
        }
    }
}

/// A Debian root of one's own, with `/proc` mounted: an overlay over the
/// pristine root, in a directory beside it (so `test-deb` removes whatever a
/// killed test left there). Unmounted and removed on drop: drop every
/// process running in it first.
pub struct DebianRoot {
    /// Holds the overlay's upper and work directories and its mount point.
    dir: tempfile::TempDir,
    packages: Packages,
}

impl DebianRoot {
    /// A fresh root, nothing installed in it yet.
    pub fn fresh(packages: &Packages) -> DebianRoot {
        let parent = packages.pristine.parent().expect("the root's parent");
        let dir = tempfile::Builder::new()
            .prefix("debian-root.")
            .tempdir_in(parent)
            .expect("a directory for the root");
        let root = DebianRoot {
            dir,
            packages: packages.clone(),
        };
        for sub in ["upper", "work", "root"] {
            std::fs::create_dir(root.dir.path().join(sub)).expect("overlay directory");
        }
        let layers = format!(
            "lowerdir={},upperdir={},workdir={}",
            packages.pristine.display(),
            root.dir.path().join("upper").display(),
            root.dir.path().join("work").display()
        );
        host(
            Command::new("mount")
                .args(["-t", "overlay", "overlay", "-o", &layers])
                .arg(root.path("/")),
        );
        host(
            Command::new("mount")
                .args(["-t", "proc", "proc"])
                .arg(root.path("/proc")),
        );
        root
    }

    /// The host path of `inside`, an absolute path in the root.
    pub fn path(&self, inside: &str) -> PathBuf {
        let relative = inside
            .strip_prefix('/')
            .expect("an absolute path in the root");
        self.dir.path().join("root").join(relative)
    }

    /// `argv` run in the root (`chroot`), with only `env` and a plain
    /// `PATH` as its environment, as a shell on that machine would run it.
    pub fn command(&self, argv: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new("chroot");
        cmd.arg(self.path("/"))
            .args(argv)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("LANG", "C.UTF-8")
            .envs(env.iter().copied());
        cmd
    }

    /// Runs `argv` in the root, at most [`ROOT_WAIT`]; returns its output.
    pub fn run(&self, argv: &[&str], env: &[(&str, &str)]) -> Output {
        let child = self
            .command(argv, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("chroot {argv:?}: {e}"));
        finish_within(child, ROOT_WAIT, &format!("{argv:?} in the Debian root"))
    }

    /// Runs `argv` in the root and panics, with its output, unless it
    /// exits 0; returns its stdout.
    pub fn run_ok(&self, argv: &[&str]) -> String {
        let out = self.run(argv, &[]);
        assert!(
            out.status.success(),
            "{argv:?} in the Debian root exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copies the .deb into the root and installs it with `dpkg -i`, which
    /// must succeed (its dependencies already in a minimal root).
    pub fn install(&self) {
        let name = self.packages.deb.file_name().expect("the .deb's name");
        let inside = format!("/tmp/{}", name.to_str().expect("a UTF-8 name"));
        std::fs::copy(&self.packages.deb, self.path(&inside)).expect("copy the .deb into the root");
        self.run_ok(&["dpkg", "-i", &inside]);
    }

    /// Writes `text` to the file at `inside` in the root, making its
    /// directory.
    pub fn write(&self, inside: &str, text: &str) {
        let path = self.path(inside);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("make the directory");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

impl Drop for DebianRoot {
    fn drop(&mut self) {
        // /proc first: it is mounted inside the overlay. A lazy unmount
        // when something still holds a mount, so the directory goes anyway.
        for mount_point in [self.path("/proc"), self.path("/")] {
            let unmounted = Command::new("umount").arg(&mount_point).status();
            if !unmounted.is_ok_and(|status| status.success()) {
                let _ = Command::new("umount").arg("-l").arg(&mount_point).status();
            }
        }
    }
}

/// Runs a command on the host, which must succeed.
fn host(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
