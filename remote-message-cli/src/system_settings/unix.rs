//! Linux and other unix: `/etc/remote-message/<binary>.toml`, the file a
//! package ships (as a conffile) and IT edits.

use super::Source;
use crate::config::ConfigError;
use std::path::PathBuf;

pub(super) fn place(binary: &str) -> PathBuf {
    PathBuf::from(format!("/etc/remote-message/{binary}.toml"))
}

pub(super) fn read(binary: &str) -> Result<Option<Source>, ConfigError> {
    super::read_file(place(binary), false)
}
