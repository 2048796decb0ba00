//! The JWTs of the per-session identity mode, written with `nats-jwt-rs`
//! (wasmCloud's port of the NATS jwt.go library): the operator, the system
//! account, the `REMOTE_MESSAGE` account with its two scoped signing keys
//! (the roles of [`remote_message::roles`]), and user JWTs.
//!
//! A user signed by a scoped key must carry no permissions or limits of its
//! own: nats-server refuses such a user, and applies the role's template
//! instead. So user claims here only carry `name`, tags and the issuing
//! account.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use indexmap::IndexSet;
use nats_jwt_rs::account::{Account, JetStreamLimits, OperatorLimits};
use nats_jwt_rs::operator::Operator;
use nats_jwt_rs::types::{Permission, Permissions, ScopeType, SigningKey, UserScope};
use nats_jwt_rs::user::{User, UserPermissionLimits};
use nkeys::KeyPair;
use remote_message::roles::Role;

/// The operator's JWT, self-signed, naming the system account.
pub fn operator(operator: &KeyPair, system_account: &str) -> Result<String, Error> {
    let mut claims = Operator::new_claims("remote-message".into(), operator.public_key());
    claims.nats.system_account = Some(system_account.to_owned());
    claims.encode(operator).map_err(jwt_failed)
}

/// The system account's JWT (the server's own account; nothing of ours runs there).
pub fn system_account(operator: &KeyPair, account: &KeyPair) -> Result<String, Error> {
    let claims = Account::new_claims("SYS".into(), account.public_key());
    claims.encode(operator).map_err(jwt_failed)
}

/// The application account's JWT: JetStream on and unlimited, and one scoped
/// signing key per role (`signing[i]` signs users of `roles[i]`).
pub fn app_account(
    operator: &KeyPair,
    account: &KeyPair,
    roles: &[(Role, &KeyPair)],
) -> Result<String, Error> {
    let mut claims =
        Account::new_claims(remote_message::roles::ACCOUNT.into(), account.public_key());
    let unlimited = -1;
    claims.nats.limits = Some(OperatorLimits {
        jetstream: Some(JetStreamLimits {
            memory_storage: Some(unlimited),
            disk_storage: Some(unlimited),
            streams: Some(unlimited),
            consumer: Some(unlimited),
            ..JetStreamLimits::default()
        }),
        ..OperatorLimits::default()
    });
    let keys: IndexSet<SigningKey> = roles
        .iter()
        .map(|(role, key)| SigningKey {
            key: key.public_key(),
            scope: Some(UserScope {
                kind: ScopeType::UserScope,
                key: key.public_key(),
                role: Some(role.name.to_owned()),
                template: Some(template(role)),
                description: Some(role.description.to_owned()),
            }),
        })
        .collect();
    claims.nats.signing_keys = Some(keys);
    claims.encode(operator).map_err(jwt_failed)
}

/// A user JWT named `name` with `tags`, signed by the scoped key `signer`
/// of the account `account`.
pub fn user(
    signer: &KeyPair,
    account: &str,
    user: &KeyPair,
    name: &str,
    tags: Vec<String>,
) -> Result<String, Error> {
    let mut claims = User::new_claims(name.to_owned(), user.public_key());
    claims.nats.issuer_account = Some(account.to_owned());
    // No permissions or limits of its own: the scope's template applies.
    claims.nats.permissions = UserPermissionLimits {
        limits: None,
        ..UserPermissionLimits::default()
    };
    if !tags.is_empty() {
        claims.nats.generic_fields.tags = Some(tags);
    }
    claims.encode(signer).map_err(jwt_failed)
}

/// A JWT that cannot be encoded (a bug, not an input error).
fn jwt_failed(e: impl std::fmt::Display) -> Error {
    ErrorKind::Failure.error(tr!(errors(), "jwt-encoding", cause = e.to_string()))
}

/// A role's permissions as a scope template (no limits: unlimited).
fn template(role: &Role) -> UserPermissionLimits {
    let list = |subjects: &[&str]| Permission {
        allow: subjects.iter().map(|s| (*s).to_owned()).collect(),
        deny: Vec::new(),
    };
    UserPermissionLimits {
        permissions: Permissions {
            publish: list(role.publish),
            subscribe: list(role.subscribe),
            resp: None,
        },
        ..UserPermissionLimits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_message::roles;

    /// The claims part of a JWT, as JSON.
    fn claims(jwt: &str) -> serde_json::Value {
        use base64::Engine as _;
        let part = jwt.split('.').nth(1).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    /// The account JWT carries both roles as scoped keys, with the
    /// templates exactly as `roles` defines them, and JetStream unlimited.
    #[test]
    fn account_has_both_scoped_roles() {
        let op = KeyPair::new_operator();
        let acc = KeyPair::new_account();
        let (agent, ops) = (KeyPair::new_account(), KeyPair::new_account());
        let jwt = app_account(&op, &acc, &[(roles::AGENT, &agent), (roles::OPS, &ops)]).unwrap();
        let c = claims(&jwt);
        assert_eq!(c["iss"], op.public_key());
        assert_eq!(c["sub"], acc.public_key());
        assert_eq!(c["nats"]["limits"]["disk_storage"], -1);
        let keys = c["nats"]["signing_keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0]["kind"], "user_scope");
        assert_eq!(keys[0]["key"], agent.public_key());
        assert_eq!(keys[0]["role"], "agent");
        assert_eq!(
            keys[0]["template"]["pub"]["allow"],
            serde_json::json!(roles::AGENT.publish)
        );
        assert_eq!(
            keys[0]["template"]["sub"]["allow"],
            serde_json::json!(roles::AGENT.subscribe)
        );
        assert_eq!(keys[1]["role"], "ops");
        for key in keys {
            // No response permission: it would bypass the denies.
            assert!(key["template"].get("resp").is_none(), "{key}");
        }
    }

    /// A user JWT names its account, has its name and tags, and no
    /// permissions or limits of its own (a scoped user must not).
    #[test]
    fn user_has_no_permissions_of_its_own() {
        let signer = KeyPair::new_account();
        let u = KeyPair::new_user();
        let jwt = user(&signer, "AACC", &u, "alice", vec!["user:-".into()]).unwrap();
        let c = claims(&jwt);
        assert_eq!(c["iss"], signer.public_key());
        assert_eq!(c["name"], "alice");
        assert_eq!(c["nats"]["issuer_account"], "AACC");
        assert_eq!(c["nats"]["tags"], serde_json::json!(["user:-"]));
        for field in ["subs", "data", "payload", "resp"] {
            assert!(c["nats"].get(field).is_none(), "{field}: {c}");
        }
        assert_eq!(c["nats"]["pub"], serde_json::json!({}));
    }
}
