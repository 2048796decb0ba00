//! Sealed session messages: encrypted to the one agent they are for, so that
//! whoever can subscribe to `session.*` (or read the stream) sees only
//! ciphertext.
//!
//! Each agent has a curve25519 key (a NATS xkey, `X…`), kept in its state
//! directory, and advertises the public half in the session list. The
//! publisher seals the whole inner envelope (signature included) to it with a
//! fresh sender key per send (NaCl box, as `nkeys` xkeys do it). On the wire:
//!
//! ```json
//! {"id":"…","sealed":"<base64url ciphertext>","sealed_by":"X…"}
//! ```

use crate::keys::{self, SeedError, SeedErrorKind, SeedKind};
use crate::send_id::MessageId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nkeys::XKey;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::LazyLock;

/// The outer, clear part of a sealed message.
#[derive(Debug, Serialize, Deserialize)]
pub struct Sealed {
    /// The message id, in clear for de-duplication (also in the header).
    pub id: MessageId,
    /// The inner payload, sealed to the recipient's xkey.
    pub sealed: String,
    /// Public xkey of the (one-time) sender key.
    pub sealed_by: String,
}

/// Why a message cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("{0:?} is not a curve25519 public key (X…)")]
    BadRecipient(String),
    #[error("it is sealed to another key, or damaged")]
    CannotOpen,
}

/// Seals `inner` (a whole envelope payload) for `recipient`.
pub fn seal(id: &MessageId, inner: &[u8], recipient: &str) -> Result<Vec<u8>, SealError> {
    let recipient =
        XKey::from_public_key(recipient).map_err(|_| SealError::BadRecipient(recipient.into()))?;
    let sender = XKey::new();
    let ciphertext = sender
        .seal(inner, &recipient)
        .map_err(|_| SealError::BadRecipient(recipient.public_key()))?;
    let outer = Sealed {
        id: id.clone(),
        sealed: URL_SAFE_NO_PAD.encode(ciphertext),
        sealed_by: sender.public_key(),
    };
    Ok(serde_json::to_vec(&outer).expect("a sealed message serializes"))
}

/// The sealed form of a payload, if it is one. Every payload an agent gets
/// passes here, so one without the `"sealed_by"` key is let through after a
/// substring search, not a parse.
pub fn as_sealed(payload: &[u8]) -> Option<Sealed> {
    // Built once: building the searcher cost more than searching a payload.
    static SEALED_BY: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\"sealed_by\""));
    if !payload.starts_with(b"{") || SEALED_BY.find(payload).is_none() {
        return None;
    }
    serde_json::from_slice(payload).ok()
}

/// Opens a sealed message with the agent's key.
pub fn open(sealed: &Sealed, own: &XKey) -> Result<Vec<u8>, SealError> {
    let sender = XKey::from_public_key(&sealed.sealed_by).map_err(|_| SealError::CannotOpen)?;
    let ciphertext = URL_SAFE_NO_PAD
        .decode(&sealed.sealed)
        .map_err(|_| SealError::CannotOpen)?;
    own.open(&ciphertext, &sender)
        .map_err(|_| SealError::CannotOpen)
}

/// A new agent key: (seed, public key).
pub fn generate() -> (String, String) {
    let key = XKey::new();
    (key.seed().expect("a new key has a seed"), key.public_key())
}

/// The agent key from its key file; a file whose seed is no key is
/// [`SeedErrorKind::NoSeed`].
pub fn load_key(path: &Path) -> Result<XKey, SeedError> {
    let seed = keys::read_seed(path, SeedKind::Curve)?;
    XKey::from_seed(&seed).map_err(|_| SeedErrorKind::NoSeed.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed message shows no plaintext on the wire, keeps its id in clear, and only
    /// the recipient's key opens it.
    #[test]
    fn only_the_recipient_opens_it() {
        let (seed, public) = generate();
        let own = XKey::from_seed(&seed).unwrap();
        let wire = seal(&"m1".into(), b"{\"text\":\"secret\"}", &public).unwrap();
        assert!(!String::from_utf8_lossy(&wire).contains("secret"));
        let sealed = as_sealed(&wire).unwrap();
        assert_eq!(sealed.id, "m1");
        assert_eq!(open(&sealed, &own).unwrap(), b"{\"text\":\"secret\"}");
        let stranger = XKey::new();
        assert_eq!(open(&sealed, &stranger), Err(SealError::CannotOpen));
    }

    /// Plain and JSON messages are not taken for sealed ones, and a bad recipient key
    /// cannot seal.
    #[test]
    fn plain_messages_are_not_sealed_ones() {
        assert!(as_sealed(b"hello").is_none());
        assert!(as_sealed(br#"{"text":"hi"}"#).is_none());
        assert!(seal(&"m".into(), b"x", "not-a-key").is_err());
    }

    /// The key file an agent writes loads back, through the one seed
    /// reader; a damaged one is refused.
    #[test]
    fn key_files_load_back_and_damaged_ones_are_refused() {
        let (seed, public) = generate();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.xkey");
        std::fs::write(&path, &seed).unwrap();
        assert_eq!(load_key(&path).unwrap().public_key(), public);
        std::fs::write(&path, format!("# agent key\n {seed}\n")).unwrap();
        assert_eq!(load_key(&path).unwrap().public_key(), public);
        std::fs::write(&path, "SXnot-a-seed").unwrap();
        assert_eq!(load_key(&path).unwrap_err().kind(), SeedErrorKind::NoSeed);
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(load_key(&path).unwrap_err().kind(), SeedErrorKind::NoSeed);
    }
}
