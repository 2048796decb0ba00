//! Seed files, read in one place: a signing key (`publisher send
//! --sign-key`), a NATS user nkey (`--nkey`) and an agent's sealing key all
//! live in a file whose first line with the right prefix is the seed.
//! Errors never contain the file's content: it is a secret.

use crate::error::{Error, ErrorKind};
use std::path::Path;

/// Which kind of seed a file holds, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedKind {
    /// An ed25519 user seed (`SU…`): signing keys and NATS user nkeys.
    User,
    /// A curve25519 seed (`SX…`): an agent's sealing key.
    Curve,
}

impl SeedKind {
    /// The two letters every seed of this kind starts with.
    pub fn prefix(self) -> &'static str {
        match self {
            SeedKind::User => "SU",
            SeedKind::Curve => "SX",
        }
    }
}

/// Why a seed file gives no seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedErrorKind {
    /// The file cannot be read (the source says why).
    Unreadable,
    /// No line of the file is a seed of the kind asked for.
    NoSeed,
}

impl ErrorKind for SeedErrorKind {
    fn describe(self) -> &'static str {
        match self {
            // The I/O error says why: callers name the file and the flag.
            SeedErrorKind::Unreadable => "",
            SeedErrorKind::NoSeed => "no seed in the file",
        }
    }
}

/// Why a seed file gives no seed; never shows its content.
pub type SeedError = Error<SeedErrorKind>;

/// The first line of `text` (trimmed) that starts like a seed of `kind`.
pub fn find_seed(text: &str, kind: SeedKind) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with(kind.prefix()))
}

/// Reads the seed of `kind` from the file at `path`.
pub fn read_seed(path: &Path, kind: SeedKind) -> Result<String, SeedError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SeedError::with_source(SeedErrorKind::Unreadable, e))?;
    find_seed(&text, kind)
        .map(str::to_owned)
        .ok_or_else(|| SeedErrorKind::NoSeed.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seed is found on any line, blanks around it ignored; a seed of the
    /// other kind is not taken.
    #[test]
    fn the_first_line_with_the_prefix_is_the_seed() {
        let text = "# my key\n  SUABC  \nSUDEF\n";
        assert_eq!(find_seed(text, SeedKind::User), Some("SUABC"));
        assert_eq!(find_seed(text, SeedKind::Curve), None);
        assert_eq!(find_seed("SXQ", SeedKind::Curve), Some("SXQ"));
    }

    /// A missing file and a file without a seed are told apart by kind, and
    /// the message never repeats the file's content.
    #[test]
    fn missing_and_seedless_files_are_distinct_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let err = read_seed(&path, SeedKind::User).unwrap_err();
        assert_eq!(err.kind(), SeedErrorKind::Unreadable);
        std::fs::write(&path, "secret garbage").unwrap();
        let err = read_seed(&path, SeedKind::User).unwrap_err();
        assert_eq!(err.kind(), SeedErrorKind::NoSeed);
        assert!(!err.to_string().contains("garbage"), "{err}");
        std::fs::write(&path, "SUXYZ\n").unwrap();
        assert_eq!(read_seed(&path, SeedKind::User).unwrap(), "SUXYZ");
    }
}
