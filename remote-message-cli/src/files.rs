//! Files only their owner may read (signing keys, the agent's state and
//! sealing key), written atomically: a crash leaves the old file or the new
//! one, never half of one, and the new one is private from its creation,
//! before its first byte: mode 0600 on unix, on Windows a protected DACL
//! that grants the current user alone.
//!
//! [`readable_by_others`] tells when a file holding a secret is not private;
//! [`create_private_dir`] and [`make_private`] make a directory and the files
//! already in it private (an agent's state directory, the admin directory).
//!
//! The OS-specific steps (creating the private file, the directory sync, the
//! permission check and change) are in `unix.rs` and `windows.rs`; this
//! module is the same everywhere.

use std::io::{self, Write};
use std::path::Path;
use tempfile::NamedTempFile;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as os;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as os;

/// Writes `contents` to `path`, replacing any file there, readable by its
/// owner only: a temporary file in the same directory (private from its
/// creation), synced, renamed over `path`, and the directory synced so the
/// rename survives a power cut.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file = private_temp(path, contents)?;
    file.persist(path).map_err(|e| e.error)?;
    os::sync_dir(parent(path))
}

/// [`write_private`] for a file that must not exist yet (a new key): fails
/// with [`io::ErrorKind::AlreadyExists`] and leaves an existing file as it is.
pub fn create_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let file = private_temp(path, contents)?;
    file.persist_noclobber(path).map_err(|e| e.error)?;
    os::sync_dir(parent(path))
}

/// Whether users other than the owner may read `path` (a settings, creds
/// or nkey file holding a secret): on unix, any group or other permission
/// bit (mode & 0o077); on Windows always `false`, see `windows.rs`.
pub fn readable_by_others(path: &Path) -> io::Result<bool> {
    os::readable_by_others(path)
}

/// Creates the directory `path` and its missing parents, `path` private:
/// mode 0700 on unix, where an existing `path` that its group or others
/// could use is set to 0700 too, and `true` says so. On Windows a directory
/// keeps the ACL it inherits (the user's profile folders are private to the
/// user) while each file written here gets its own DACL: nothing is
/// changed, `false`.
pub fn create_private_dir(path: &Path) -> io::Result<bool> {
    os::create_private_dir(path)
}

/// Makes an existing file private: on unix mode 0600, when its group or
/// others had any permission (`true`: it was tightened); a missing file is
/// left missing (`false`). On Windows always `false`, see `windows.rs`.
pub fn make_private(path: &Path) -> io::Result<bool> {
    match os::make_private(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        tightened => tightened,
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A synced temporary file next to `path`, holding `contents`. `tempfile`
/// picks the name; the OS module creates the file, private from the start.
fn private_temp(path: &Path, contents: &[u8]) -> io::Result<NamedTempFile> {
    let mut file = tempfile::Builder::new().make_in(parent(path), os::create_new_private)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new file holds exactly the bytes, and on unix only its owner may
    /// read or write it; no temporary file is left beside it.
    #[test]
    fn a_private_file_has_the_bytes_and_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_private(&path, b"SUSECRET\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"SUSECRET\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key"]);
    }

    /// Writing again replaces the content (the agent's state is rewritten);
    /// a file that was world-readable comes out private.
    #[test]
    fn write_private_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old and longer").unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }

    /// A new key never overwrites an existing file: the error says it
    /// exists and the old content is intact.
    #[test]
    fn create_private_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.nk");
        create_private(&path, b"first").unwrap();
        let err = create_private(&path, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
    }

    /// A new private directory (and its missing parents) is 0700 on unix
    /// and says it needed no tightening; an existing
    /// 0755 one, or a 0644 file in it, is tightened (0700, 0600) and says
    /// so, once; a missing file is no error and stays missing.
    #[cfg(unix)]
    #[test]
    fn directories_and_files_are_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let set = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state").join("remote-message");
        assert!(!create_private_dir(&dir).unwrap());
        assert_eq!(mode(&dir), 0o700);
        assert!(!create_private_dir(&dir).unwrap());
        set(&dir, 0o755);
        assert!(create_private_dir(&dir).unwrap());
        assert_eq!(mode(&dir), 0o700);

        let file = dir.join("bob.journal");
        std::fs::write(&file, "x").unwrap();
        set(&file, 0o644);
        assert!(make_private(&file).unwrap());
        assert_eq!(mode(&file), 0o600);
        assert!(!make_private(&file).unwrap());
        let missing = dir.join("bob.lock");
        assert!(!make_private(&missing).unwrap());
        assert!(!missing.exists());
    }

    /// A directory that does not exist is an error, not a panic, and
    /// nothing is created.
    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no").join("such").join("file");
        let err = write_private(&path, b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(!dir.path().join("no").exists());
    }
}
