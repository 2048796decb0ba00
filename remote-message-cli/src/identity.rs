//! Who and where this process runs: the publisher's default `sender` and,
//! an agent's session info. Never fails: unknown parts read "unknown".

/// The OS login name of the current user: `$USER` or `$LOGNAME` as the
/// login set them, else the user database (an NSS lookup, which costs a
/// one-shot `publisher send` about 0.3 ms).
pub fn login_name() -> String {
    ["USER", "LOGNAME"]
        .into_iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| !name.trim().is_empty())
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// This machine's host name.
pub fn host_name() -> String {
    whoami::hostname().unwrap_or_else(|_| "unknown".to_owned())
}

/// The operating system, e.g. "Debian GNU/Linux 12 (bookworm)", else "linux".
pub fn os_name() -> String {
    whoami::distro().unwrap_or_else(|_| std::env::consts::OS.to_owned())
}

/// `user@host`, the publisher's default sender.
pub fn user_at_host() -> String {
    format!("{}@{}", login_name(), host_name())
}
