//! The JWTs of the per-session identity mode, written with `nats-jwt-rs`
//! (wasmCloud's port of the NATS jwt.go library): the operator, the system
//! account and its user (who pushes session accounts to the server), the ops
//! account with the ops role's scoped signing key and its exports, one
//! account per session with its imports and limits, and user JWTs. The
//! account wall itself is defined in [`remote_message::roles`].
//!
//! An ops user, signed by the scoped key, must carry no permissions or limits
//! of its own: nats-server refuses such a user, and applies the role's
//! template instead. An agent is the one user of its session account, signed
//! by that account's key, with the agent role filled in for its session and
//! the agent limits.

use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use indexmap::IndexSet;
use nats_jwt_rs::account::{Account, AccountLimits, JetStreamLimits, OperatorLimits};
use nats_jwt_rs::operator::Operator;
use nats_jwt_rs::types::{
    ExportType, Import, Limits, NatsLimits, Permission, Permissions, ResponseType, ScopeType,
    SigningKey, UserScope,
};
use nats_jwt_rs::user::{User, UserPermissionLimits};
use nkeys::KeyPair;
use remote_message::roles::{self, Crossing, Role, SessionGrant, AGENT_LIMITS};

/// The operator's JWT, self-signed, naming the system account.
pub fn operator(operator: &KeyPair, system_account: &str) -> Result<String, Error> {
    let mut claims = Operator::new_claims("remote-message".into(), operator.public_key());
    claims.nats.system_account = Some(system_account.to_owned());
    claims.encode(operator).map_err(jwt_failed)
}

/// The system account's JWT (the server's own account: `publisher admin`
/// pushes session accounts through it).
pub fn system_account(operator: &KeyPair, account: &KeyPair) -> Result<String, Error> {
    let claims = Account::new_claims("SYS".into(), account.public_key());
    claims.encode(operator).map_err(jwt_failed)
}

/// The ops account's JWT: JetStream on and unlimited, the ops role's scoped
/// signing key, and the exports of the account wall.
pub fn ops_account(
    operator: &KeyPair,
    account: &KeyPair,
    ops_signing: &KeyPair,
) -> Result<String, Error> {
    let mut claims = Account::new_claims(roles::ACCOUNT.into(), account.public_key());
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
    let role = roles::OPS;
    let keys: IndexSet<SigningKey> = [SigningKey {
        key: ops_signing.public_key(),
        scope: Some(UserScope {
            kind: ScopeType::UserScope,
            key: ops_signing.public_key(),
            role: Some(role.name.to_owned()),
            template: Some(template(&role)),
            description: Some(role.description.to_owned()),
        }),
    }]
    .into_iter()
    .collect();
    claims.nats.signing_keys = Some(keys);
    claims.nats.exports = Some(
        roles::OPS_EXPORTS
            .iter()
            .map(|export| nats_jwt_rs::types::Export {
                subject: export.subject.to_owned(),
                export_type: Some(export_type(export.crossing)),
                response_type: export.streamed.then_some(ResponseType::Stream),
                ..Default::default()
            })
            .collect(),
    );
    claims.encode(operator).map_err(jwt_failed)
}

/// A session's account JWT: no JetStream, the imports of the account wall
/// filled for `grant` (from the ops account `ops_account`), and the agent
/// limits.
pub fn session_account(
    operator: &KeyPair,
    account: &KeyPair,
    ops_account: &str,
    grant: &SessionGrant,
) -> Result<String, Error> {
    let mut claims = Account::new_claims(grant.session.clone(), account.public_key());
    let imports: Vec<Import> = roles::AGENT_IMPORTS
        .iter()
        .map(|template| {
            let subject = grant.fill(template);
            let crossing = roles::export_for(&subject)
                .map(|export| export.crossing)
                .ok_or_else(|| jwt_failed(format!("{subject} is not exported")))?;
            let local = roles::local_subject(&subject);
            Ok(Import {
                local_subject: if local == subject {
                    String::new()
                } else {
                    local
                },
                subject,
                account: ops_account.to_owned(),
                export_type: Some(export_type(crossing)),
                ..Default::default()
            })
        })
        .collect::<Result<_, Error>>()?;
    let limits = AGENT_LIMITS;
    claims.nats.limits = Some(OperatorLimits {
        nats: Some(NatsLimits {
            subs: Some(limits.subscriptions * limits.connections),
            data: Some(limits.data * limits.connections),
            payload: Some(limits.payload),
        }),
        account: Some(AccountLimits {
            imports: Some(imports.len() as i64),
            exports: Some(0),
            wildcard_exports: Some(false),
            disallow_bearer: Some(true),
            conn: Some(limits.connections),
            leaf: Some(0),
        }),
        jetstream: None,
        tiered_limits: None,
    });
    claims.nats.imports = Some(imports);
    claims.encode(operator).map_err(jwt_failed)
}

/// A user JWT named `name` with `tags`, signed by the scoped key `signer`
/// of the account `account`: its role's template applies.
pub fn scoped_user(
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

/// The agent of `grant`'s session: the one user of its account (signed by
/// the account key `account`), the agent role filled in, the agent limits,
/// and the `user:` tag of the bound user.
pub fn agent_user(
    account: &KeyPair,
    user: &KeyPair,
    grant: &SessionGrant,
) -> Result<String, Error> {
    let mut claims = User::new_claims(grant.session.clone(), user.public_key());
    let list = |templates: &[&str]| Permission {
        allow: grant.fill_all(templates),
        deny: Vec::new(),
    };
    claims.nats.permissions = UserPermissionLimits {
        permissions: Permissions {
            publish: list(roles::AGENT.publish),
            subscribe: list(roles::AGENT.subscribe),
            resp: None,
        },
        limits: Some(Limits {
            user_limits: None,
            nats_limits: Some(NatsLimits {
                subs: Some(AGENT_LIMITS.subscriptions),
                data: Some(AGENT_LIMITS.data),
                payload: Some(AGENT_LIMITS.payload),
            }),
        }),
        bearer_token: None,
        allowed_connection_types: None,
    };
    claims.nats.generic_fields.tags = Some(vec![roles::user_tag(grant.user.as_ref())]);
    claims.encode(account).map_err(jwt_failed)
}

/// A user of the system account, signed by its key: it only pushes
/// account JWTs (`$SYS.REQ.CLAIMS.UPDATE`).
pub fn system_user(account: &KeyPair, user: &KeyPair) -> Result<String, Error> {
    let mut claims = User::new_claims("remote-message-admin".into(), user.public_key());
    claims.nats.permissions = UserPermissionLimits {
        permissions: Permissions {
            publish: Permission {
                allow: vec!["$SYS.REQ.CLAIMS.UPDATE".into()],
                deny: Vec::new(),
            },
            subscribe: Permission {
                allow: vec!["_INBOX.>".into()],
                deny: Vec::new(),
            },
            resp: None,
        },
        ..UserPermissionLimits::default()
    };
    claims.encode(account).map_err(jwt_failed)
}

fn export_type(crossing: Crossing) -> ExportType {
    match crossing {
        Crossing::ToSession => ExportType::Stream,
        Crossing::ToOps => ExportType::Service,
    }
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

    /// The ops account JWT carries the ops role as a scoped key with its
    /// template, JetStream unlimited, and every export of the wall (pull
    /// batches as streamed answers).
    #[test]
    fn ops_account_has_the_ops_role_and_the_exports() {
        let op = KeyPair::new_operator();
        let acc = KeyPair::new_account();
        let ops = KeyPair::new_account();
        let c = claims(&ops_account(&op, &acc, &ops).unwrap());
        assert_eq!(c["iss"], op.public_key());
        assert_eq!(c["sub"], acc.public_key());
        assert_eq!(c["nats"]["limits"]["disk_storage"], -1);
        let keys = c["nats"]["signing_keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0]["kind"], "user_scope");
        assert_eq!(keys[0]["role"], "ops");
        assert_eq!(
            keys[0]["template"]["pub"]["allow"],
            serde_json::json!(roles::OPS.publish)
        );
        // No response permission: it would bypass the denies.
        assert!(keys[0]["template"].get("resp").is_none());
        let exports = c["nats"]["exports"].as_array().unwrap();
        assert_eq!(exports.len(), roles::OPS_EXPORTS.len());
        let next = exports
            .iter()
            .find(|e| e["subject"] == "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.*")
            .unwrap();
        assert_eq!(next["type"], "service");
        assert_eq!(next["response_type"], "Stream");
        let broadcast = exports
            .iter()
            .find(|e| e["subject"] == "broadcast")
            .unwrap();
        assert_eq!(broadcast["type"], "stream");
    }

    /// A session account has no JetStream, imports only its own subjects
    /// from the ops account (the JetStream API under the local prefix) and
    /// carries the agent limits; its agent user has the role filled in.
    #[test]
    fn a_session_account_imports_only_its_own() {
        let op = KeyPair::new_operator();
        let acc = KeyPair::new_account();
        let user = KeyPair::new_user();
        let grant = SessionGrant {
            session: "alice".into(),
            account_key: acc.public_key(),
            user: None,
        };
        let c = claims(&session_account(&op, &acc, "AOPS", &grant).unwrap());
        assert_eq!(c["name"], "alice");
        assert!(c["nats"]["limits"].get("disk_storage").is_none(), "{c}");
        assert_eq!(c["nats"]["limits"]["conn"], AGENT_LIMITS.connections);
        assert_eq!(c["nats"]["limits"]["payload"], AGENT_LIMITS.payload);
        let imports = c["nats"]["imports"].as_array().unwrap();
        assert_eq!(imports.len(), roles::AGENT_IMPORTS.len());
        for import in imports {
            assert_eq!(import["account"], "AOPS");
            let subject = import["subject"].as_str().unwrap();
            assert!(
                !subject.contains("bob") && !subject.contains('>'),
                "{subject}"
            );
            if subject.starts_with("$JS.API.") {
                assert_eq!(import["local_subject"], roles::local_subject(subject));
            }
        }
        assert!(imports
            .iter()
            .any(|i| i["subject"] == "session.alice" && i["type"] == "stream"));
        let u = claims(&agent_user(&acc, &user, &grant).unwrap());
        assert_eq!(u["iss"], acc.public_key());
        assert!(u["nats"].get("issuer_account").is_none());
        assert_eq!(u["nats"]["tags"], serde_json::json!(["user:-"]));
        assert_eq!(u["nats"]["subs"], AGENT_LIMITS.subscriptions);
        assert!(u["nats"]["pub"]["allow"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("receipt.*.alice")));
        assert!(u["nats"].get("resp").is_none());
    }

    /// A user JWT names its account, has its name and tags, and no
    /// permissions or limits of its own (a scoped user must not).
    #[test]
    fn user_has_no_permissions_of_its_own() {
        let signer = KeyPair::new_account();
        let u = KeyPair::new_user();
        let jwt = scoped_user(&signer, "AACC", &u, "alice", vec!["user:-".into()]).unwrap();
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
