//! `publisher admin agent-creds` and `ops-creds`. An agent's creds are the
//! one user of its session's own account: the account (its key derived from
//! the session id) is written to `DIR/accounts/<id>.jwt` and pushed to the
//! server's resolver, then a new user key and JWT are written as a creds file
//! (mode 0600) or printed. Ops creds: a user JWT signed by the ops role's
//! scoped key.

use super::claims;
use super::layout::{cannot_write, Key, Layout};
use super::push;
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use hmac::{Hmac, Mac};
use nkeys::{KeyPair, KeyPairType};
use remote_message::roles::SessionGrant;
use remote_message::SessionId;
use remote_message_cli::connection::ConnectionArgs;
use remote_message_cli::{creds, files};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// Where minted creds go.
#[derive(Debug)]
pub enum Destination {
    /// `--out -`.
    Stdout,
    /// A file (mode 0600); an existing one is replaced only when `replace`
    /// (`--force`).
    File { path: PathBuf, replace: bool },
}

/// `admin agent-creds`, as asked.
#[derive(Debug)]
pub struct AgentCreds {
    /// The admin directory (`--dir`).
    pub dir: Option<PathBuf>,
    pub session: SessionId,
    /// The user name bound to the session.
    pub user: Option<remote_message::UserName>,
    /// Push the session's account to the server now (no `--no-push`).
    pub push: bool,
    pub out: Destination,
}

/// `admin agent-creds`: the session's account kept in the admin directory
/// and pushed (unless asked not to), then the agent's creds written.
pub async fn agent(connection: &ConnectionArgs, asked: AgentCreds) -> Result<(), Error> {
    // First: a refused --out must leave the server and DIR as they were.
    refuse_to_replace(&asked.out)?;
    let layout = Layout::open(asked.dir.as_deref())?;
    let id = asked.session.as_str();
    if looks_like_public_key(id) {
        // An agent's broadcast consumer is named after its account's key:
        // a session id shaped like a key could name another's.
        return Err(ErrorKind::Usage.error(tr!(
            errors(),
            "session-id-like-key",
            id = format!("{id:?}")
        )));
    }
    let operator = layout.read_key(Key::Operator)?;
    let ops_account = layout.read_key(Key::Account)?.public_key();
    let account = session_account_key(&layout.read_key(Key::SessionAccounts)?, id)?;
    let grant = SessionGrant {
        session: id.to_owned(),
        account_key: account.public_key(),
        user: asked.user.clone(),
    };
    let account_jwt = claims::session_account(&operator, &account, &ops_account, &grant)?;
    let user = KeyPair::new_user();
    let user_jwt = claims::agent_user(&account, &user, &grant)?;
    push::save(&layout, id, &account_jwt)?;
    if asked.push {
        push::push(connection, &layout, &[(id.to_owned(), account_jwt)]).await?;
    }
    write(&asked.out, &creds::format(&user_jwt, &seed(&user)?))?;
    if !asked.push {
        let note = tr!(crate::i18n::lang(), "admin-not-pushed", session = id);
        eprintln!("{note}");
    }
    Ok(())
}

/// `admin ops-creds`: new ops creds from the set-up in `dir`.
pub fn ops(dir: Option<&Path>, out: &Destination) -> Result<(), Error> {
    refuse_to_replace(out)?;
    let layout = Layout::open(dir)?;
    let signer = layout.read_key(Key::OpsSigning)?;
    let account = layout.read_key(Key::Account)?.public_key();
    write(out, &ops_creds(&signer, &account)?)
}

/// The key of session `id`'s account: derived from the set-up's secret and
/// the id, so every mint for a session gives the same account (one presence
/// check, one broadcast consumer), and no per-session secret is kept.
pub fn session_account_key(secret: &KeyPair, id: &str) -> Result<KeyPair, Error> {
    let mut mac = Hmac::<Sha256>::new_from_slice(seed(secret)?.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"remote-message session account\0");
    mac.update(id.as_bytes());
    let raw: [u8; 32] = mac.finalize().into_bytes().into();
    KeyPair::new_from_raw(KeyPairType::Account, raw).map_err(|e| {
        ErrorKind::Failure.error(tr!(errors(), "seed-encoding", cause = e.to_string()))
    })
}

/// The creds of an ops user.
pub fn ops_creds(signer: &KeyPair, account: &str) -> Result<String, Error> {
    let key = KeyPair::new_user();
    let jwt = claims::scoped_user(signer, account, &key, "ops", Vec::new())?;
    Ok(creds::format(&jwt, &seed(&key)?))
}

/// The creds of the system account's user (pushes session accounts).
pub fn system_creds(system_account: &KeyPair) -> Result<String, Error> {
    let key = KeyPair::new_user();
    let jwt = claims::system_user(system_account, &key)?;
    Ok(creds::format(&jwt, &seed(&key)?))
}

fn seed(key: &KeyPair) -> Result<String, Error> {
    key.seed().map_err(|e| {
        ErrorKind::Failure.error(tr!(errors(), "seed-encoding", cause = e.to_string()))
    })
}

/// An existing `--out` file (a dangling link included) without `--force`:
/// a usage error, checked before anything is pushed or written, like
/// `keygen`'s key.
fn refuse_to_replace(out: &Destination) -> Result<(), Error> {
    match out {
        Destination::File {
            path,
            replace: false,
        } if std::fs::symlink_metadata(path).is_ok() => Err(exists(path)),
        _ => Ok(()),
    }
}

fn exists(path: &Path) -> Error {
    ErrorKind::Usage.error(tr!(
        errors(),
        "creds-out-exists",
        path = path.display().to_string()
    ))
}

/// Writes the creds to stdout, or to their file (mode 0600; replacing one
/// only with `--force`, so one made since [`refuse_to_replace`] is kept
/// too).
fn write(out: &Destination, text: &str) -> Result<(), Error> {
    let (path, replace) = match out {
        Destination::Stdout => {
            print!("{text}");
            return Ok(());
        }
        Destination::File { path, replace } => (path.as_path(), *replace),
    };
    let written = if replace {
        files::write_private(path, text.as_bytes())
    } else {
        files::create_private(path, text.as_bytes())
    };
    written.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => exists(path),
        _ => cannot_write(ErrorKind::Usage, path, e),
    })?;
    let file = path.display().to_string();
    let written = tr!(crate::i18n::lang(), "admin-creds-written", file = file);
    eprintln!("{written}");
    Ok(())
}

/// A public nkey: 56 characters of upper-case base32 (`U…` a user, `A…` an
/// account).
fn looks_like_public_key(id: &str) -> bool {
    id.len() == 56
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agent creds read back as the session, the bound user and the
    /// session account that signed them; ops creds bind no session and no
    /// user; a session's account is the same at every mint, and differs
    /// between sessions and set-ups.
    #[test]
    fn minted_creds_read_back() {
        let secret = KeyPair::new_account();
        let account = session_account_key(&secret, "alice").unwrap();
        let grant = SessionGrant {
            session: "alice".into(),
            account_key: account.public_key(),
            user: remote_message::UserName::parse("Zoë").ok(),
        };
        let user = KeyPair::new_user();
        let jwt = claims::agent_user(&account, &user, &grant).unwrap();
        let id = creds::parse(&creds::format(&jwt, &seed(&user).unwrap())).unwrap();
        assert_eq!(id.name.as_deref(), Some("alice"));
        assert_eq!(id.user.as_ref().map(|u| u.as_str()), Some("Zoë"));
        assert_eq!(id.issuer_account, None);
        assert_eq!(id.issuer, account.public_key());
        assert!(remote_message::UserKey::parse(&id.user_key).is_some());
        let ops = creds::parse(&ops_creds(&secret, "AACC").unwrap()).unwrap();
        assert!(!ops.has_user_tag);
        assert_eq!(ops.issuer_account.as_deref(), Some("AACC"));
        let again = session_account_key(&secret, "alice").unwrap();
        assert_eq!(again.public_key(), account.public_key());
        let bob = session_account_key(&secret, "bob").unwrap();
        assert_ne!(bob.public_key(), account.public_key());
        let elsewhere = session_account_key(&KeyPair::new_account(), "alice").unwrap();
        assert_ne!(elsewhere.public_key(), account.public_key());
        assert!(remote_message::AccountKey::parse(&account.public_key()).is_some());
    }

    /// Session ids shaped like public keys (user or account) are refused;
    /// others are not.
    #[test]
    fn key_shaped_ids() {
        assert!(looks_like_public_key(&KeyPair::new_user().public_key()));
        assert!(looks_like_public_key(&KeyPair::new_account().public_key()));
        assert!(!looks_like_public_key("alice"));
        assert!(!looks_like_public_key(&"u".repeat(56)));
    }
}
