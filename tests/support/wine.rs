//! How the harness starts a binary: the Linux build next to the tests, or
//! the Windows build (`publisher.exe`, `subscriber.exe`) under wine, so the
//! same spawn code and the same bounded waits drive both.
//!
//! The Windows builds are made by `scripts/test-platforms`, which also makes
//! the wine prefix and sets the two variables read here: [`BIN_DIR_VAR`]
//! (the directory holding the .exe files) and `WINEPREFIX`. Wine maps the
//! Linux root to drive `Z:` in every fresh prefix, which
//! [`Launcher::path_arg`] relies on to hand Windows paths to the .exe files.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The variable naming the directory with the Windows .exe files.
pub const BIN_DIR_VAR: &str = "WINDOWS_BIN_DIR";

/// Upper bound for a wait on a program under wine: starting one takes 5 to
/// 20 s when both cores are busy (wine loads its DLLs and talks to its
/// server first), against milliseconds natively.
pub const WINE_WAIT: Duration = Duration::from_secs(90);

/// How the harness runs the workspace's binaries.
#[derive(Debug, Clone)]
pub enum Launcher {
    /// The Linux build, from the cargo target directory (see [`crate::procs::bin`]).
    Native,
    /// The Windows build, run by `wine`.
    Wine(Wine),
}

/// The Windows builds under wine, as `scripts/test-platforms` set them up.
#[derive(Debug, Clone)]
pub struct Wine {
    bin_dir: PathBuf,
}

impl Wine {
    /// The Windows builds named by [`BIN_DIR_VAR`], in the prefix named by
    /// `WINEPREFIX`. Panics, saying to run `scripts/test-platforms`, when
    /// either is missing: a wine test must never pass without wine.
    pub fn from_env() -> Wine {
        let run = "run scripts/test-platforms, which builds the Windows binaries, \
                   makes a wine prefix and runs these tests";
        let bin_dir = std::env::var_os(BIN_DIR_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("{BIN_DIR_VAR} is not set: {run}"));
        assert!(
            std::env::var_os("WINEPREFIX").is_some(),
            "WINEPREFIX is not set: {run}"
        );
        for exe in ["publisher.exe", "subscriber.exe", "bcryptprimitives.dll"] {
            let path = bin_dir.join(exe);
            assert!(path.exists(), "{} is missing: {run}", path.display());
        }
        Wine { bin_dir }
    }

    /// A file in the directory of the Windows builds (e.g. a test program
    /// built beside them).
    pub fn file(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

impl Launcher {
    /// A command running the workspace binary `name` (`publisher`,
    /// `subscriber`), with no arguments yet.
    pub fn command(&self, name: &str) -> Command {
        match self {
            Launcher::Native => Command::new(crate::procs::bin(name)),
            Launcher::Wine(wine) => {
                let mut cmd = Command::new("wine");
                cmd.arg(wine.bin_dir.join(format!("{name}.exe")));
                // Wine's own diagnostics would mix with the agent's JSON log.
                cmd.env("WINEDEBUG", "-all");
                cmd
            }
        }
    }

    /// `path` as the launched program must be given it on its command line.
    pub fn path_arg(&self, path: &Path) -> OsString {
        match self {
            Launcher::Native => path.into(),
            Launcher::Wine(_) => windows_path(path).into(),
        }
    }

    /// The bound on each wait for a program started this way.
    pub fn wait(&self) -> Duration {
        match self {
            Launcher::Native => crate::WAIT,
            Launcher::Wine(_) => WINE_WAIT,
        }
    }
}

/// The Windows path of an absolute Linux `path`, through the `Z:` drive.
pub fn windows_path(path: &Path) -> String {
    let path = path.to_str().expect("a UTF-8 path");
    assert!(path.starts_with('/'), "not an absolute path: {path}");
    format!("Z:{}", path.replace('/', "\\"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Linux path reaches a Windows program through drive Z:, every
    /// separator turned around.
    #[test]
    fn linux_paths_are_given_through_drive_z() {
        assert_eq!(
            windows_path(Path::new("/tmp/.tmpAb1/state")),
            r"Z:\tmp\.tmpAb1\state"
        );
        assert_eq!(
            Launcher::Wine(Wine {
                bin_dir: PathBuf::from("/x")
            })
            .path_arg(Path::new("/a b/c")),
            OsString::from(r"Z:\a b\c")
        );
        assert_eq!(
            Launcher::Native.path_arg(Path::new("/a/b")),
            OsString::from("/a/b")
        );
    }
}
