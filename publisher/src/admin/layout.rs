//! What `admin init` writes into its directory, named once: the commands
//! that mint creds read the keys back from the same places, and every
//! command opens the directory one way ([`Layout::open`]).

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use nkeys::KeyPair;
use std::path::{Path, PathBuf};

/// The server's configuration (public JWTs only): goes to the server.
pub const SERVER_CONF: &str = "nats-server.conf";
/// The first ops user's creds: stays with ops.
pub const OPS_CREDS: &str = "ops.creds";
/// The system account user's creds: push session accounts to the server.
pub const SYSTEM_CREDS: &str = "system.creds";
/// The session accounts' JWTs (public), `<id>.jwt`: what `admin push` sends.
pub const ACCOUNTS: &str = "accounts";
/// A seed only the set-up before the account wall had (the agent role's
/// scoped key in the one shared account).
const LEGACY_AGENT_SIGNING: &str = "agent-signing.nk";
/// The seeds: never leave the ops machine.
pub const KEYS: &str = "keys";
/// The env variable `--dir` defaults to.
pub const DIR_ENV: &str = "REMOTE_MESSAGE_ADMIN_DIR";

/// One seed file under `keys/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Signs the accounts (the root of trust).
    Operator,
    /// The server's system account.
    SystemAccount,
    /// The ops account `REMOTE_MESSAGE` (its identity; signs nothing day to day).
    Account,
    /// The secret each session account's key is derived from (with the
    /// session id), so minting a session again gives the same account.
    SessionAccounts,
    /// The scoped key of role `ops`: signs ops creds.
    OpsSigning,
}

impl Key {
    pub const ALL: [Key; 5] = [
        Key::Operator,
        Key::SystemAccount,
        Key::Account,
        Key::SessionAccounts,
        Key::OpsSigning,
    ];

    /// The seed file's name under `keys/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Key::Operator => "operator.nk",
            Key::SystemAccount => "system-account.nk",
            Key::Account => "account.nk",
            Key::SessionAccounts => "session-accounts.nk",
            Key::OpsSigning => "ops-signing.nk",
        }
    }

    /// A new key pair of the right kind.
    pub fn generate(self) -> KeyPair {
        match self {
            Key::Operator => KeyPair::new_operator(),
            _ => KeyPair::new_account(),
        }
    }
}

/// The admin directory.
#[derive(Debug, Clone)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Self {
        Layout {
            dir: dir.to_owned(),
        }
    }

    /// The admin directory given (`--dir` or its environment variable, or
    /// `init`'s `--out`; none given is a usage error), made by this version:
    /// a set-up from before the account wall is refused with what to do.
    pub fn open(dir: Option<&Path>) -> Result<Layout, Error> {
        let Some(dir) = dir else {
            return Err(ErrorKind::Usage.error(tr!(errors(), "admin-dir-missing", env = DIR_ENV)));
        };
        let layout = Layout::new(dir);
        if layout.is_legacy() {
            return Err(ErrorKind::Usage.error(tr!(
                errors(),
                "admin-dir-legacy",
                dir = layout.dir().display().to_string()
            )));
        }
        Ok(layout)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.join(KEYS)
    }

    pub fn key(&self, key: Key) -> PathBuf {
        self.keys_dir().join(key.file_name())
    }

    pub fn server_conf(&self) -> PathBuf {
        self.dir.join(SERVER_CONF)
    }

    pub fn ops_creds(&self) -> PathBuf {
        self.dir.join(OPS_CREDS)
    }

    pub fn system_creds(&self) -> PathBuf {
        self.dir.join(SYSTEM_CREDS)
    }

    pub fn accounts_dir(&self) -> PathBuf {
        self.dir.join(ACCOUNTS)
    }

    /// Where the JWT of session `id`'s account is kept.
    pub fn session_account(&self, id: &str) -> PathBuf {
        self.accounts_dir().join(format!("{id}.jwt"))
    }

    /// Whether this is a set-up made before the account wall (agents and
    /// the stream in one account): its agent creds can reach the stream.
    pub fn is_legacy(&self) -> bool {
        self.keys_dir().join(LEGACY_AGENT_SIGNING).is_file()
            && !self.key(Key::SessionAccounts).is_file()
    }

    /// What is already there of an earlier `init` (keys, config, creds).
    /// Whether every file `admin init` writes is there.
    pub fn is_complete(&self) -> bool {
        Key::ALL.iter().all(|&key| self.key(key).is_file())
            && self.server_conf().is_file()
            && self.ops_creds().is_file()
            && self.system_creds().is_file()
    }

    pub fn existing(&self) -> Vec<PathBuf> {
        let keys_in_use = std::fs::read_dir(self.keys_dir())
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        let mut found = Vec::new();
        if keys_in_use {
            found.push(self.keys_dir());
        }
        for path in [self.server_conf(), self.ops_creds(), self.system_creds()] {
            if path.exists() {
                found.push(path);
            }
        }
        found
    }

    /// Reads the seed of `key` back; the error names the file, never its content.
    pub fn read_key(&self, key: Key) -> Result<KeyPair, Error> {
        let path = self.key(key);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ErrorKind::Usage
                .error(tr!(
                    errors(),
                    "admin-key-unreadable",
                    path = path.display().to_string(),
                    cause = e.to_string(),
                    dir = self.dir.display().to_string()
                ))
                .caused_by(e)
        })?;
        text.lines()
            .map(str::trim)
            .find(|line| line.starts_with('S'))
            .and_then(|seed| KeyPair::from_seed(seed).ok())
            .ok_or_else(|| {
                ErrorKind::Usage.error(tr!(
                    errors(),
                    "admin-no-seed",
                    path = path.display().to_string()
                ))
            })
    }
}

/// A file of the set-up that could not be written: a `kind` error naming it.
pub fn cannot_write(kind: ErrorKind, path: &Path, e: std::io::Error) -> Error {
    kind.error(tr!(
        errors(),
        "cannot-write",
        path = path.display().to_string(),
        cause = e.to_string()
    ))
    .caused_by(e)
}
