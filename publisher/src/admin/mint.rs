//! `publisher admin agent-creds` and `ops-creds`: a new user key and a user
//! JWT signed by the role's scoped key, written as a creds file (mode 0600)
//! or printed.

use super::claims;
use super::layout::{Key, Layout};
use crate::cli::{AdminDirArgs, AgentCredsArgs, OpsCredsArgs};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use nkeys::KeyPair;
use remote_message::roles;
use remote_message_cli::{creds, files};
use std::path::Path;

/// The env variable `--dir` defaults to.
pub const DIR_ENV: &str = "REMOTE_MESSAGE_ADMIN_DIR";

pub fn agent(args: AgentCredsArgs) -> Result<(), Error> {
    let layout = layout(&args.dir)?;
    let id = args.session.as_str();
    if looks_like_user_key(id) {
        // The broadcast consumer of an agent is named after its user key:
        // an agent whose id is such a key could delete another's consumer.
        return Err(ErrorKind::Usage.error(tr!(
            errors(),
            "session-id-like-key",
            id = format!("{id:?}")
        )));
    }
    let signer = layout.read_key(Key::AgentSigning)?;
    let account = layout.read_key(Key::Account)?.public_key();
    let text = agent_creds(&signer, &account, id, args.user.as_deref())?;
    write(&args.out, &text)
}

pub fn ops(args: OpsCredsArgs) -> Result<(), Error> {
    let layout = layout(&args.dir)?;
    let signer = layout.read_key(Key::OpsSigning)?;
    let account = layout.read_key(Key::Account)?.public_key();
    write(&args.out, &ops_creds(&signer, &account)?)
}

/// The creds of an agent for session `id`, bound to `user` (or to none).
pub fn agent_creds(
    signer: &KeyPair,
    account: &str,
    id: &str,
    user: Option<&str>,
) -> Result<String, Error> {
    let key = KeyPair::new_user();
    let jwt = claims::user(signer, account, &key, id, vec![roles::user_tag(user)])?;
    Ok(creds::format(&jwt, &seed(&key)?))
}

/// The creds of an ops user.
pub fn ops_creds(signer: &KeyPair, account: &str) -> Result<String, Error> {
    let key = KeyPair::new_user();
    let jwt = claims::user(signer, account, &key, "ops", Vec::new())?;
    Ok(creds::format(&jwt, &seed(&key)?))
}

fn seed(key: &KeyPair) -> Result<String, Error> {
    key.seed().map_err(|e| {
        ErrorKind::Failure.error(tr!(errors(), "seed-encoding", cause = e.to_string()))
    })
}

/// The admin directory from `--dir` or the environment; neither is a usage error.
fn layout(args: &AdminDirArgs) -> Result<Layout, Error> {
    match &args.dir {
        Some(dir) => Ok(Layout::new(dir)),
        None => Err(ErrorKind::Usage.error(tr!(errors(), "admin-dir-missing", env = DIR_ENV))),
    }
}

/// Writes the creds to `out` (a new or replaced file, mode 0600) or to
/// stdout for `-`.
fn write(out: &Path, text: &str) -> Result<(), Error> {
    if out == Path::new("-") {
        print!("{text}");
        return Ok(());
    }
    files::write_private(out, text.as_bytes()).map_err(|e| {
        ErrorKind::Usage
            .error(tr!(
                errors(),
                "cannot-write",
                path = out.display().to_string(),
                cause = e.to_string()
            ))
            .caused_by(e)
    })?;
    let file = out.display().to_string();
    let written = tr!(crate::i18n::lang(), "admin-creds-written", file = file);
    eprintln!("{written}");
    Ok(())
}

/// A public user nkey: `U` and 55 more characters of base32.
fn looks_like_user_key(id: &str) -> bool {
    id.len() == 56
        && id.starts_with('U')
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agent creds read back as the session, the bound user and the
    /// account; ops creds bind no session and no user.
    #[test]
    fn minted_creds_read_back() {
        let signer = KeyPair::new_account();
        let text = agent_creds(&signer, "AACC", "alice", Some("Zoë")).unwrap();
        let id = creds::parse(&text).unwrap();
        assert_eq!(id.name.as_deref(), Some("alice"));
        assert_eq!(id.user.as_ref().map(|u| u.as_str()), Some("Zoë"));
        assert_eq!(id.issuer_account.as_deref(), Some("AACC"));
        assert!(id.user_key.starts_with('U'));
        let none = creds::parse(&agent_creds(&signer, "AACC", "bob", None).unwrap()).unwrap();
        assert_eq!(none.user, None);
        assert!(none.has_user_tag);
        let ops = creds::parse(&ops_creds(&signer, "AACC").unwrap()).unwrap();
        assert!(!ops.has_user_tag);
    }

    /// Session ids shaped like user keys are refused; others are not.
    #[test]
    fn user_key_shaped_ids() {
        let key = KeyPair::new_user().public_key();
        assert!(looks_like_user_key(&key));
        assert!(!looks_like_user_key("alice"));
        assert!(!looks_like_user_key(&"u".repeat(56)));
    }
}
