//! Why NATS refuses a creds file, named from the file itself. The server
//! answers "authorization violation" whatever the reason, and a client that
//! retries gets that line again and again; the user JWT in the file tells
//! most reasons: it expired (`exp`), it is not valid yet (`nbf`), or it is
//! for the other program (an agent's creds given to the publisher, ops'
//! creds given to an agent). A JWT in force that the server still refuses
//! belongs to an account the server does not know: creds of another set-up
//! (another operator), or a session account never pushed to this server.

use crate::creds::{CredsIdentity, Holder};
use crate::i18n::tr;
use jiff::Timestamp;
use remote_message::error::ErrorKind;

/// Why creds are refused, as the log (`cause` of `creds_refused`) and the
/// tests name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseKind {
    /// The JWT's `exp` has passed.
    Expired,
    /// The JWT's `nbf` is still to come.
    NotYetValid,
    /// In force, yet refused: the server does not know the account.
    UnknownAccount,
    /// Creds of the other program: an agent's for ops, or ops' for an agent.
    WrongRole,
}

impl CauseKind {
    /// The stable name, in snake case.
    pub fn name(self) -> &'static str {
        match self {
            CauseKind::Expired => "expired",
            CauseKind::NotYetValid => "not_yet_valid",
            CauseKind::UnknownAccount => "unknown_account",
            CauseKind::WrongRole => "wrong_role",
        }
    }
}

impl ErrorKind for CauseKind {
    fn describe(self) -> &'static str {
        match self {
            CauseKind::Expired => "NATS refuses the creds: they expired",
            CauseKind::NotYetValid => "NATS refuses the creds: they are not valid yet",
            CauseKind::UnknownAccount => "NATS does not know the account of the creds",
            CauseKind::WrongRole => "the creds are for the other program (agent or ops)",
        }
    }
}

/// Why creds are refused, with what the JWT says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    Expired {
        at: Timestamp,
    },
    NotYetValid {
        until: Timestamp,
    },
    UnknownAccount {
        account: String,
    },
    WrongRole {
        found: Holder,
        identity: CredsIdentity,
    },
}

impl Cause {
    pub fn kind(&self) -> CauseKind {
        match self {
            Cause::Expired { .. } => CauseKind::Expired,
            Cause::NotYetValid { .. } => CauseKind::NotYetValid,
            Cause::UnknownAccount { .. } => CauseKind::UnknownAccount,
            Cause::WrongRole { .. } => CauseKind::WrongRole,
        }
    }

    /// The cause and what to do, for people.
    pub fn advice(&self) -> String {
        match self {
            Cause::Expired { at } => tr!("creds-expired", at = at.to_string()),
            Cause::NotYetValid { until } => tr!("creds-not-yet-valid", until = until.to_string()),
            Cause::UnknownAccount { account } => {
                tr!("creds-unknown-account", account = account.as_str())
            }
            Cause::WrongRole { found, identity } => match found {
                Holder::Agent => tr!(
                    "creds-agent-for-ops",
                    session = identity.name.clone().unwrap_or_default()
                ),
                _ => tr!("creds-ops-for-agent", account = identity.account()),
            },
        }
    }
}

/// Why the server refuses `identity` at `now` by its dates alone; `None`
/// while it is in force.
pub fn out_of_date(identity: &CredsIdentity, now: Timestamp) -> Option<Cause> {
    if let Some(at) = identity.expires.filter(|at| *at <= now) {
        return Some(Cause::Expired { at });
    }
    identity
        .not_before
        .filter(|until| *until > now)
        .map(|until| Cause::NotYetValid { until })
}

/// Why the server refused `identity` at `now` (it said "authorization
/// violation"): its dates, else its account unknown to the server.
pub fn refused(identity: &CredsIdentity, now: Timestamp) -> Cause {
    out_of_date(identity, now).unwrap_or_else(|| Cause::UnknownAccount {
        account: identity.account().to_owned(),
    })
}

/// Creds meant for the other program than `wanted`: an agent's (a `user:`
/// tag) where ops are wanted, ops' (a scoped key's) where an agent is.
pub fn wrong_role(identity: &CredsIdentity, wanted: Holder) -> Option<Cause> {
    let found = identity.holder();
    let crossed = matches!(
        (found, wanted),
        (Holder::Agent, Holder::Ops) | (Holder::Ops, Holder::Agent)
    );
    crossed.then(|| Cause::WrongRole {
        found,
        identity: identity.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(has_user_tag: bool, issuer_account: Option<&str>) -> CredsIdentity {
        CredsIdentity {
            user_key: "U1".into(),
            name: Some("alice".into()),
            user: None,
            has_user_tag,
            issuer_account: issuer_account.map(str::to_owned),
            issuer: "ASIGNER".into(),
            expires: None,
            not_before: None,
        }
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    /// An `exp` passed is "expired at", an `nbf` to come "not valid until";
    /// a JWT in force that is refused anyway names its account.
    #[test]
    fn dates_come_before_the_account() {
        let now = at(2_000_000_000);
        let mut id = identity(true, None);
        assert_eq!(out_of_date(&id, now), None);
        assert_eq!(
            refused(&id, now),
            Cause::UnknownAccount {
                account: "ASIGNER".into()
            }
        );
        id.not_before = Some(at(2_000_000_100));
        assert_eq!(
            refused(&id, now),
            Cause::NotYetValid {
                until: at(2_000_000_100)
            }
        );
        id.expires = Some(now);
        assert_eq!(refused(&id, now), Cause::Expired { at: now });
        let text = refused(&id, now).advice();
        assert!(text.contains("expired at 2033-05-18T03:33:20Z"), "{text}");
    }

    /// Agent creds where ops are wanted and ops creds where an agent is are
    /// the wrong role; plain creds are neither.
    #[test]
    fn roles_cross() {
        let agent = identity(true, None);
        let ops = identity(false, Some("AOPS"));
        let plain = identity(false, None);
        assert_eq!(
            wrong_role(&agent, Holder::Ops).map(|c| c.kind()),
            Some(CauseKind::WrongRole)
        );
        assert!(wrong_role(&agent, Holder::Ops)
            .unwrap()
            .advice()
            .contains("session alice"));
        assert_eq!(wrong_role(&agent, Holder::Agent), None);
        let text = wrong_role(&ops, Holder::Agent).unwrap().advice();
        assert!(text.contains("AOPS"), "{text}");
        assert_eq!(wrong_role(&ops, Holder::Ops), None);
        assert_eq!(wrong_role(&plain, Holder::Ops), None);
        assert_eq!(wrong_role(&plain, Holder::Agent), None);
    }
}
