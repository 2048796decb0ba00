//! What a NATS credentials file says about who the agent is, read without
//! trusting it: the user JWT's payload (base64url, JSON) only, since the
//! broker verifies the signatures. PLACEHOLDER written by helper "proto"
//! against the API agreed in brief-ident.md; helper "ident"'s version
//! (branch `ident`) replaces it at merge.

use base64::Engine as _;
use std::path::Path;

/// The user name bound by the credentials' `user:<hex>` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundUser(String);

impl BoundUser {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a credentials file says its holder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredsIdentity {
    /// The user's public nkey (`U…`, the JWT's `sub`).
    pub user_key: String,
    /// The JWT's `name` (the session id of agent credentials).
    pub name: Option<String>,
    /// The bound user; `None` for `user:-` or no tag.
    pub user: Option<BoundUser>,
    /// Whether the JWT has a `user:` tag at all.
    pub has_user_tag: bool,
}

/// Why a credentials file tells no identity.
#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    #[error("cannot read {0}: {1}")]
    Unreadable(String, #[source] std::io::Error),
    #[error("{0} holds no user JWT that can be read")]
    NoJwt(String),
}

/// Reads the identity of the credentials file at `path`.
pub fn read(path: &Path) -> Result<CredsIdentity, CredsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CredsError::Unreadable(path.display().to_string(), e))?;
    parse(&text).ok_or_else(|| CredsError::NoJwt(path.display().to_string()))
}

/// The identity in a credentials file's text; `None` without a readable JWT.
pub fn parse(text: &str) -> Option<CredsIdentity> {
    let jwt = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.contains("BEGIN NATS USER JWT"))
        .nth(1)?;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let user_key = claims.get("sub")?.as_str()?.to_owned();
    let name = claims
        .get("name")
        .and_then(|n| n.as_str())
        .map(str::to_owned);
    let tag = claims
        .pointer("/nats/tags")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str()?.strip_prefix("user:"))
        .next();
    let user = tag
        .and_then(remote_message::sessions::user_from_token)
        .filter(|u| !u.is_empty())
        .map(BoundUser);
    Some(CredsIdentity {
        user_key,
        name,
        user,
        has_user_tag: tag.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(claims: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "-----BEGIN NATS USER JWT-----\n{}.{}.sig\n------END NATS USER JWT------\n",
            b64(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#),
            b64(claims.to_string().as_bytes())
        )
    }

    /// Name, user key and the `user:` tag (hex or `-`) are read from the JWT payload.
    #[test]
    fn reads_name_key_and_user_tag() {
        let text =
            creds(serde_json::json!({"sub":"UABC","name":"alice","nats":{"tags":["user:626f62"]}}));
        assert_eq!(
            parse(&text),
            Some(CredsIdentity {
                user_key: "UABC".into(),
                name: Some("alice".into()),
                user: Some(BoundUser("bob".into())),
                has_user_tag: true,
            })
        );
        let none = creds(serde_json::json!({"sub":"UABC","name":"a","nats":{"tags":["user:-"]}}));
        let none = parse(&none).unwrap();
        assert_eq!((none.user, none.has_user_tag), (None, true));
        let untagged = parse(&creds(serde_json::json!({"sub":"UABC"}))).unwrap();
        assert_eq!((untagged.user, untagged.has_user_tag), (None, false));
        assert_eq!(parse("no jwt here"), None);
    }
}
