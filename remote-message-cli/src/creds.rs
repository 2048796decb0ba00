//! NATS creds files (a user JWT and its nkey seed), in one place: writing
//! them (`publisher admin`) and reading back who a creds file says its holder
//! is (the agent takes its session id and bound user from there), what it
//! is for (an agent or ops) and when it is valid (`nbf`, `exp`), which
//! [`crate::creds_check`] uses to name why a server refuses it.
//!
//! Reading goes through NATS' JWT crate (`nats-jwt-rs`, which the publisher
//! writes them with): it checks the header and that the issuer (`iss`)
//! signed the claims, not that the issuer is trusted: the broker does, at
//! connect. What is read here is only what the broker will enforce anyway
//! (the permission templates use the same `name` and `user:` tag).

use jiff::Timestamp;
use nats_jwt_rs::{user::User, Claims};
use remote_message::{roles, AccountKey, UserName};
use std::path::{Path, PathBuf};

const JWT_BEGIN: &str = "-----BEGIN NATS USER JWT-----";
const JWT_END: &str = "------END NATS USER JWT------";
const SEED_BEGIN: &str = "-----BEGIN USER NKEY SEED-----";
const SEED_END: &str = "------END USER NKEY SEED------";

/// Who a creds file says its holder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredsIdentity {
    /// The user's public nkey (`U…`, the JWT's `sub`).
    pub user_key: String,
    /// The JWT's `name`: for an agent's creds, its session id.
    pub name: Option<String>,
    /// The user bound by the `user:<hex>` tag; `None` for `user:-` and for
    /// a JWT without a `user:` tag (ops creds).
    pub user: Option<UserName>,
    /// Whether the JWT carries a `user:` tag at all (`user:-` included):
    /// agent creds from `publisher admin agent-creds` always do.
    pub has_user_tag: bool,
    /// The account the user belongs to (`nats.issuer_account`), when the JWT
    /// was signed by one of the account's signing keys.
    pub issuer_account: Option<String>,
    /// Who signed the JWT (`iss`): for an agent behind the account wall, its
    /// session account's key.
    pub issuer: String,
    /// When the JWT expires (`exp`); `None`: never.
    pub expires: Option<Timestamp>,
    /// When the JWT becomes valid (`nbf`); `None`: at once.
    pub not_before: Option<Timestamp>,
}

/// What a creds file is for, as its JWT shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// An agent's: a `user:` tag (every `admin agent-creds` JWT has one).
    Agent,
    /// Ops': no `user:` tag, signed by a scoped signing key of the account
    /// (`issuer_account`), as `admin ops-creds` makes them.
    Ops,
    /// Neither (e.g. a plain user of a set-up of one's own).
    Other,
}

impl CredsIdentity {
    /// What these creds are for.
    pub fn holder(&self) -> Holder {
        match (self.has_user_tag, &self.issuer_account) {
            (true, _) => Holder::Agent,
            (false, Some(_)) => Holder::Ops,
            (false, None) => Holder::Other,
        }
    }

    /// The account the user belongs to: the `issuer_account`, else the
    /// signer (an account signing its own users).
    pub fn account(&self) -> &str {
        self.issuer_account.as_deref().unwrap_or(&self.issuer)
    }

    /// Agent creds of a session account of its own (the account wall):
    /// a `user:` tag, signed by the account itself. Agent creds of the older
    /// set-up, signed by a scoped key of the one shared account, are not.
    pub fn is_walled_agent(&self) -> bool {
        self.has_user_tag
            && self.issuer_account.is_none()
            && AccountKey::parse(&self.issuer).is_some()
    }
}

/// Why a creds file cannot be read as an identity.
#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    #[error("cannot read the creds file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not a NATS creds file: no \"{JWT_BEGIN}\" block")]
    NoJwt,
    #[error("the user JWT in the creds file cannot be decoded: {0}")]
    BadJwt(String),
    #[error("the user JWT has an invalid user tag {0:?} (expected user:- or user:<lowercase hex of a user name>)")]
    BadUserTag(String),
    #[error("the user JWT has more than one user tag")]
    TwoUserTags,
}

/// Reads the creds file at `path` as an identity.
pub fn read(path: &Path) -> Result<CredsIdentity, CredsError> {
    let text = std::fs::read_to_string(path).map_err(|source| CredsError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text)
}

/// Reads the identity in the text of a creds file.
pub fn parse(text: &str) -> Result<CredsIdentity, CredsError> {
    let jwt = block(text, JWT_BEGIN, JWT_END).ok_or(CredsError::NoJwt)?;
    identity_of_jwt(jwt)
}

/// The identity in a user JWT whose signature is its issuer's.
pub fn identity_of_jwt(jwt: &str) -> Result<CredsIdentity, CredsError> {
    let claims = Claims::<User>::decode(jwt).map_err(|e| CredsError::BadJwt(format!("{e:#}")))?;
    let tags = claims.nats.generic_fields.tags.unwrap_or_default();
    let mut user = None;
    let mut has_user_tag = false;
    for tag in &tags {
        if !tag.starts_with(&format!("{}:", roles::USER_TAG)) {
            continue;
        }
        if has_user_tag {
            return Err(CredsError::TwoUserTags);
        }
        has_user_tag = true;
        user = roles::parse_user_tag(tag).ok_or_else(|| CredsError::BadUserTag(tag.clone()))?;
    }
    Ok(CredsIdentity {
        user_key: claims.sub,
        name: claims.name.filter(|n| !n.is_empty()),
        user,
        has_user_tag,
        issuer_account: claims.nats.issuer_account,
        issuer: claims.iss,
        expires: date(claims.exp, "exp")?,
        not_before: date(claims.nbf, "nbf")?,
    })
}

/// A JWT date (seconds since the epoch; 0 or none: no date).
fn date(seconds: Option<i64>, claim: &str) -> Result<Option<Timestamp>, CredsError> {
    match seconds {
        None | Some(0) => Ok(None),
        Some(s) => Timestamp::from_second(s)
            .map(Some)
            .map_err(|e| CredsError::BadJwt(format!("its {claim} is no date: {e}"))),
    }
}

/// The text of a creds file: the user JWT and the user's nkey seed, in the
/// format `nsc` writes and every NATS client reads.
pub fn format(jwt: &str, seed: &str) -> String {
    format!(
        "{JWT_BEGIN}\n{jwt}\n{JWT_END}\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\
         NKEYs are sensitive and should be treated as secrets.\n\n\
         {SEED_BEGIN}\n{seed}\n{SEED_END}\n\n\
         *************************************************************\n"
    )
}

/// The trimmed text between the `begin` line and the `end` line.
fn block<'a>(text: &'a str, begin: &str, end: &str) -> Option<&'a str> {
    let start = text.find(begin)? + begin.len();
    let rest = &text[start..];
    let stop = rest.find(end)?;
    let inner = rest[..stop].trim();
    (!inner.is_empty()).then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};

    /// A user JWT with the given claims (those a JWT always has added),
    /// signed by a new account key; and that key.
    fn signed(mut claims: serde_json::Value) -> (String, String) {
        let signer = nkeys::KeyPair::new_account();
        let b64 = |s: &[u8]| URL_SAFE_NO_PAD.encode(s);
        claims["iss"] = signer.public_key().into();
        claims["iat"] = 0.into();
        claims["jti"] = "".into();
        claims["nats"]["type"] = "user".into();
        claims["nats"]["version"] = 2.into();
        let unsigned = format!(
            "{}.{}",
            b64(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#),
            b64(claims.to_string().as_bytes())
        );
        let signature = b64(&signer.sign(unsigned.as_bytes()).unwrap());
        (format!("{unsigned}.{signature}"), signer.public_key())
    }

    /// [`signed`], the JWT alone.
    fn jwt(claims: serde_json::Value) -> String {
        signed(claims).0
    }

    /// An agent's creds file (what `admin agent-creds --user` writes) reads
    /// back as its key, its session id and its bound user.
    #[test]
    fn agent_creds_give_session_and_user() {
        let token = jwt(serde_json::json!({
            "sub": "UABC", "name": "alice-1",
            "nats": {"tags": ["user:76616e65737361"], "issuer_account": "AXYZ", "type": "user"}
        }));
        let text = format(&token, "SUAFAKE");
        let id = parse(&text).unwrap();
        assert_eq!(id.user_key, "UABC");
        assert_eq!(id.name.as_deref(), Some("alice-1"));
        assert_eq!(id.user.as_ref().map(UserName::as_str), Some("vanessa"));
        assert!(id.has_user_tag);
        assert_eq!(id.issuer_account.as_deref(), Some("AXYZ"));
    }

    /// The JWT's dates and what it is for read back: an agent's (a `user:`
    /// tag), ops' (no tag, a scoped key's `issuer_account`), or neither.
    #[test]
    fn dates_and_holder() {
        let (agent, signer) = signed(serde_json::json!({
            "sub": "U1", "exp": 1_700_000_000, "nbf": 1_600_000_000,
            "nats": {"tags": ["user:-"]}
        }));
        let agent = identity_of_jwt(&agent).unwrap();
        assert_eq!(
            agent.expires,
            Some(Timestamp::from_second(1_700_000_000).unwrap())
        );
        assert_eq!(
            agent.not_before,
            Some(Timestamp::from_second(1_600_000_000).unwrap())
        );
        assert_eq!(
            (agent.holder(), agent.account()),
            (Holder::Agent, signer.as_str())
        );
        let ops = identity_of_jwt(&jwt(serde_json::json!({
            "sub": "U2", "nats": {"issuer_account": "AOPS"}
        })))
        .unwrap();
        assert_eq!((ops.expires, ops.not_before), (None, None));
        assert_eq!((ops.holder(), ops.account()), (Holder::Ops, "AOPS"));
        let plain = identity_of_jwt(&jwt(serde_json::json!({"sub": "U3"}))).unwrap();
        assert_eq!(plain.holder(), Holder::Other);
        let bad = identity_of_jwt(&jwt(serde_json::json!({"sub": "U", "exp": i64::MAX})));
        assert!(matches!(bad, Err(CredsError::BadJwt(_))));
    }

    /// `user:-` is a tag binding no user; no tag at all (ops creds) is no
    /// user either, and says so.
    #[test]
    fn no_user_bound() {
        let dash = identity_of_jwt(&jwt(serde_json::json!({
            "sub": "U1", "name": "s1", "nats": {"tags": ["user:-"]}
        })))
        .unwrap();
        assert_eq!(dash.user, None);
        assert!(dash.has_user_tag);
        let ops = identity_of_jwt(&jwt(serde_json::json!({"sub": "U2", "nats": {}}))).unwrap();
        assert_eq!(ops.user, None);
        assert!(!ops.has_user_tag);
        assert_eq!(ops.name, None);
    }

    /// A malformed user tag or two user tags are errors, not "no user".
    #[test]
    fn bad_user_tags_are_errors() {
        let bad = identity_of_jwt(&jwt(serde_json::json!({
            "sub": "U1", "nats": {"tags": ["user:XYZ"]}
        })));
        assert!(matches!(bad, Err(CredsError::BadUserTag(t)) if t == "user:XYZ"));
        let two = identity_of_jwt(&jwt(serde_json::json!({
            "sub": "U1", "nats": {"tags": ["user:-", "user:61"]}
        })));
        assert!(matches!(two, Err(CredsError::TwoUserTags)));
    }

    /// Text that is not a creds file, a JWT that is not one, or one its
    /// issuer did not sign, is an error.
    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(parse("hello"), Err(CredsError::NoJwt)));
        assert!(matches!(
            parse(&format("a.b", "S")),
            Err(CredsError::BadJwt(_))
        ));
        assert!(matches!(
            parse(&format("a.!!!.c", "S")),
            Err(CredsError::BadJwt(_))
        ));
        // Claims its issuer did not sign: another JWT's signature.
        let (one, other) = (
            jwt(serde_json::json!({"sub": "U1"})),
            jwt(serde_json::json!({"sub": "U1"})),
        );
        let swapped = format!(
            "{}.{}",
            one.rsplit_once('.').unwrap().0,
            other.rsplit_once('.').unwrap().1
        );
        assert!(matches!(
            identity_of_jwt(&swapped),
            Err(CredsError::BadJwt(_))
        ));
    }

    /// The written file has both blocks where NATS clients look for them.
    #[test]
    fn format_has_both_blocks() {
        let text = format("h.p.s", "SUSEED");
        assert_eq!(block(&text, JWT_BEGIN, JWT_END), Some("h.p.s"));
        assert_eq!(block(&text, SEED_BEGIN, SEED_END), Some("SUSEED"));
    }

    /// A missing file names its path.
    #[test]
    fn missing_file_names_the_path() {
        let err = read(Path::new("/no/such/agent.creds")).unwrap_err();
        assert!(err.to_string().contains("/no/such/agent.creds"), "{err}");
    }
}
