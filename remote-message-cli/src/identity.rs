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

#[cfg(test)]
mod tests {
    use super::*;

    /// The default sender is the login name and the host name joined by
    /// `@`, neither of them empty (unknown parts read "unknown").
    #[test]
    fn the_default_sender_is_login_at_host() {
        let sender = user_at_host();
        let (user, host) = sender.split_once('@').expect("an @");
        assert!(!user.trim().is_empty() && !host.is_empty(), "{sender}");
        assert_eq!(user, login_name());
        assert!(!os_name().is_empty());
    }
}
