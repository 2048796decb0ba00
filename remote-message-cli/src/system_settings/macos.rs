//! macOS: `/Library/Application Support/remote-message/<binary>.toml`, the
//! machine's own Application Support folder (an MDM puts the file there).

use super::Source;
use crate::config::ConfigError;
use std::path::PathBuf;

pub(super) fn place(binary: &str) -> PathBuf {
    PathBuf::from(format!(
        "/Library/Application Support/remote-message/{binary}.toml"
    ))
}

pub(super) fn read(binary: &str) -> Result<Option<Source>, ConfigError> {
    super::read_file(place(binary), false)
}
