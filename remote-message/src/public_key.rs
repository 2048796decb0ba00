//! Public keys as types: a user key (`U…`: signing keys, NATS users), an
//! account key (`A…`) and a sealing key (`X…`, curve25519), each checked
//! once, where it enters (a flag, a JWT, a session-list entry), instead of a
//! `String` whose first letter is looked at wherever it is used.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Defines a public key type whose `parse` accepts exactly the keys `valid`
/// accepts.
macro_rules! public_key {
    ($(#[$doc:meta])* $name:ident, $valid:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// `raw` when it is a key of this kind, encoded as nkeys encodes it.
            pub fn parse(raw: &str) -> Option<$name> {
                let valid: fn(&str) -> bool = $valid;
                valid(raw).then(|| $name(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
                out.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(input: D) -> Result<$name, D::Error> {
                let raw = String::deserialize(input)?;
                $name::parse(&raw).ok_or_else(|| {
                    serde::de::Error::custom(concat!("not a valid ", stringify!($name)))
                })
            }
        }
    };
}

/// Whether `raw` is an ed25519 public key starting with `prefix`, in the
/// one encoding nkeys gives it.
fn is_nkey(raw: &str, prefix: char) -> bool {
    raw.starts_with(prefix)
        && nkeys::KeyPair::from_public_key(raw).is_ok_and(|key| key.public_key() == raw)
}

public_key!(
    /// A user public key (`U…`): the key a message is signed with (`--trust`),
    /// a NATS user's key.
    UserKey,
    |raw| is_nkey(raw, 'U')
);

public_key!(
    /// An account public key (`A…`): a session account's names its
    /// broadcast consumer.
    AccountKey,
    |raw| is_nkey(raw, 'A')
);

public_key!(
    /// A sealing public key (`X…`, curve25519): what an agent advertises in
    /// its session-list entry, so messages to it can be sealed.
    SealingKey,
    |raw| raw.starts_with('X') && nkeys::XKey::from_public_key(raw).is_ok()
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each type takes its own kind of key and nothing else.
    #[test]
    fn keys_are_checked_by_kind() {
        let user = nkeys::KeyPair::new_user().public_key();
        let account = nkeys::KeyPair::new_account().public_key();
        let sealing = nkeys::XKey::new().public_key();
        assert_eq!(UserKey::parse(&user).unwrap().as_str(), user);
        assert_eq!(AccountKey::parse(&account).unwrap().as_str(), account);
        assert_eq!(SealingKey::parse(&sealing).unwrap().as_str(), sealing);
        for other in [&account, &sealing, "Uxyz", ""] {
            assert_eq!(UserKey::parse(other), None, "{other}");
        }
        assert_eq!(AccountKey::parse(&user), None);
        assert_eq!(SealingKey::parse(&user), None);
        assert_eq!(SealingKey::parse("XAJ3EXAMPLE"), None);
        let json = serde_json::to_string(&SealingKey::parse(&sealing)).unwrap();
        assert_eq!(json, format!("\"{sealing}\""));
    }
}
