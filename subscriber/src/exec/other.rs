//! The hook where there are no Unix process groups: only the program itself
//! is killed when it overstays (`Child::kill` in the caller). A port that
//! kills what it started too (a Windows job object) belongs here.

use tokio::process::{Child, Command};

/// Nothing to set up: the program runs as an ordinary child.
pub(super) fn own_group(_command: &mut Command) {}

/// Nothing beyond the program itself to kill.
pub(super) fn kill_group(_child: &Child) {}
