//! The per-session identity mode, defined once: the account wall that keeps
//! every agent apart from the stream and from every other session, the
//! permissions nats-server enforces for each agent and for ops, and the
//! `user:` tag that binds an agent's credential to a user name.
//!
//! # The account wall
//!
//! JetStream answers a request on whatever reply subject the requester
//! named, without checking the requester's permissions (nats-server issues
//! #3202 and #4225). So no agent may share an account with the stream, its
//! API, or another agent:
//!
//! - the **ops account** ([`ACCOUNT`]) holds the stream, the JetStream API
//!   and the ops users (a scoped signing key, role [`OPS`]);
//! - **each session has an account of its own**, without JetStream, made by
//!   `publisher admin agent-creds` (its key derived from the session id, so
//!   minting again gives the same account). Its one user is the agent.
//!
//! They meet only through NATS's own exports and imports ([`OPS_EXPORTS`],
//! [`AGENT_IMPORTS`]): ops' `broadcast`, `session.<id>`,
//! `session.<id>.presence` and `sessions.ping` flow *into* the session's
//! account (stream imports: nothing flows back), and the agent's answers
//! (`receipt.*.<id>`, `presence.*.<id>`, `sessions.entry.*.<id>.<user>`) and
//! its own consumers' API requests flow *out* (service imports, each subject
//! naming this session only). Whatever reply subject an agent gives,
//! JetStream's answer comes back into the agent's own account, where only
//! that agent listens and which has no JetStream API, stream subject or other
//! session in it.
//!
//! An account without JetStream answers `$JS.API.…` requests itself ("not
//! enabled", racing the real answer), so the agent reaches the ops
//! account's API under its own local prefix [`AGENT_JS_API`]: a session
//! account imports `$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.<id>.session.<id>`
//! as `ops.JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.<id>.session.<id>`.
//!
//! # Templates
//!
//! [`AGENT`] and [`AGENT_IMPORTS`] are templates, filled for one session by
//! [`SessionGrant::fill`] when its creds are minted (the ops role stays a
//! scoped-key template, filled by the server):
//! - `{{name()}}`: the session id (the user JWT's `name`);
//! - `{{account()}}`: the session account's public key (`A…`): it names
//!   the agent's broadcast consumer, the same for every creds file minted
//!   for the session;
//! - `{{tag(user)}}`: the lowercase hex of the bound user name, or `-` for none.
//!
//! Templates are whole subject tokens only (`session.{{name()}}`, never
//! `session.x{{name()}}`).
//!
//! # Subject layout (both modes)
//!
//! | subject | published by | subscribed by |
//! |---|---|---|
//! | `broadcast` | ops | every agent |
//! | `session.<id>` | ops | agent `<id>` |
//! | `session.<id>.presence` | ops (request, empty, reply `presence.<token>.<id>`); agent `<id>` (its start-up check) | agent `<id>` |
//! | `presence.<token>.<id>` | agent `<id>`: `{"session":"<id>"}` | the asker (ops, or the agent's start-up check) |
//! | `receipt.<token>.<id>` | agent `<id>` | the publisher that set `Receipt-To: receipt.<token>` |
//! | `sessions.ping` | ops, reply subject `sessions.entry.<token>` | every agent |
//! | `sessions.entry.<token>.<id>.<userhex>` | agent `<id>`: its entry | the publisher that pinged |
//! | `_INBOX.<id>.>` | agent `<id>` (its own inbox prefix) | agent `<id>` |
//! | `$JS.API.…` | ops; agents only their own consumers (below), as `ops.JS.API.…` | the server |
//!
//! An agent reads back from the stream only through consumers created on the
//! filtered API subject `$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.<name>.<filter>`:
//! the session consumer is named `<id>` (filter `session.<id>`), the
//! broadcast consumer is named after the session account's public key
//! (filter `broadcast`). No durables, no listing, no deleting another's.
//!
//! No role has a response permission (`resp`): a client that may publish and
//! subscribe on its own inbox could send itself a message whose reply
//! subject is any subject and then "respond" there, past every deny. Answers
//! go to subjects that carry the answerer's id instead (`presence.*.<id>`).

use crate::session_id::SessionId;
use crate::stream::STREAM_NAME;
use crate::user_name::UserName;

/// The ops account: the stream, its API and the ops users (per-session
/// identity mode). Every session has an account of its own besides.
pub const ACCOUNT: &str = "REMOTE_MESSAGE";

/// Where an agent with per-session creds finds the ops account's JetStream
/// API: its session account imports each allowed `$JS.API.<rest>` as
/// `ops.JS.API.<rest>` (a local `$JS.API` would be answered "not enabled").
pub const AGENT_JS_API: &str = "ops.JS.API";

/// The tag name that carries the bound user: `user:<hex>` or `user:-`
/// (the user's token, [`UserName::token`]).
pub const USER_TAG: &str = "user";

/// The NATS inbox prefix (the client's default): ops' reply inboxes are
/// `_INBOX.<token>`, an agent's are under [`agent_inbox`].
pub const INBOX_PREFIX: &str = "_INBOX";

/// Agent `session`'s own inbox prefix, `_INBOX.<id>`: the templates let only
/// that session publish and subscribe under it (`_INBOX.{{name()}}.>`).
pub fn agent_inbox(session: &SessionId) -> String {
    format!("{INBOX_PREFIX}.{session}")
}

/// The name of agent `session`'s consumer of `session.<id>`: its session id
/// (the templates' `REMOTE_MESSAGES.{{name()}}.session.{{name()}}`).
pub fn session_consumer(session: &SessionId) -> String {
    session.to_string()
}

/// The name of agent `session`'s consumer of `broadcast`: `key` when its
/// creds give one (the session account's public key behind the account wall,
/// the templates' `REMOTE_MESSAGES.{{account()}}.broadcast`, the same for
/// every creds file minted for the session; the user key `U…` of older
/// creds), else `<id>-b`.
pub fn broadcast_consumer(session: &SessionId, key: Option<&str>) -> String {
    key.map(str::to_owned)
        .unwrap_or_else(|| format!("{session}-b"))
}

/// One role: what a user JWT signed by its scoped key may publish and
/// subscribe to (never a response permission: see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The scoped signing key's `role` field.
    pub name: &'static str,
    /// What the key is for, written into the account JWT.
    pub description: &'static str,
    pub publish: &'static [&'static str],
    pub subscribe: &'static [&'static str],
}

/// The agent role: everything it may use carries its own session id (or its
/// account's public key, for the broadcast consumer). Written into each agent's
/// user JWT, filled for its session: the account wall holds without it, and
/// it makes a misuse an explicit permissions violation.
pub const AGENT: Role = Role {
    name: "agent",
    description: "remote-message agent: one session, named by the user JWT's name",
    publish: &[
        "_INBOX.{{name()}}.>",
        "receipt.*.{{name()}}",
        "ledger.*.{{name()}}",
        "presence.*.{{name()}}",
        "session.{{name()}}.presence",
        "sessions.entry.*.{{name()}}.{{tag(user)}}",
        "ops.JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{name()}}.session.{{name()}}",
        "ops.JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{account()}}.broadcast",
        "ops.JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{name()}}",
        "ops.JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{account()}}",
        "ops.JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{name()}}",
        "ops.JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{account()}}",
        "ops.JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{name()}}",
        "ops.JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{account()}}",
    ],
    subscribe: &[
        "broadcast",
        "session.{{name()}}",
        "session.{{name()}}.presence",
        "sessions.ping",
        "_INBOX.{{name()}}.>",
        "presence.*.{{name()}}",
    ],
};

/// The ops role: sends, asks who is there, manages the stream.
pub const OPS: Role = Role {
    name: "ops",
    description: "remote-message ops: sends, lists sessions, manages the stream",
    publish: &[
        "broadcast",
        "session.*",
        "session.*.presence",
        "sessions.ping",
        "sends.*.*",
        "$JS.API.>",
    ],
    subscribe: &[
        "_INBOX.>",
        "receipt.>",
        "ledger.>",
        "sessions.entry.>",
        "presence.>",
    ],
};

/// Both roles.
pub const ROLES: [Role; 2] = [AGENT, OPS];

/// Which way a subject crosses the wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// From ops to the session (a stream export/import): what ops publish
    /// reaches the agent; nothing the agent publishes there flows back.
    ToSession,
    /// From the session to ops (a service export/import): what the agent
    /// publishes there reaches ops, and answers come back to the agent.
    ToOps,
}

/// A subject the ops account exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Export {
    pub subject: &'static str,
    pub crossing: Crossing,
    /// A service that answers with several messages (a pull's batch).
    pub streamed: bool,
}

const fn to_session(subject: &'static str) -> Export {
    Export {
        subject,
        crossing: Crossing::ToSession,
        streamed: false,
    }
}

const fn to_ops(subject: &'static str) -> Export {
    Export {
        subject,
        crossing: Crossing::ToOps,
        streamed: false,
    }
}

/// What the ops account offers the session accounts. Wide subjects: a
/// session account is written by ops, and imports only its own ([`AGENT_IMPORTS`]).
pub const OPS_EXPORTS: [Export; 12] = [
    to_session("broadcast"),
    to_session("session.*"),
    to_session("session.*.presence"),
    to_session("sessions.ping"),
    to_ops("receipt.*.*"),
    to_ops("ledger.*.*"),
    to_ops("presence.*.*"),
    to_ops("sessions.entry.*.*.*"),
    to_ops("$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.>"),
    Export {
        subject: "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.*",
        crossing: Crossing::ToOps,
        streamed: true,
    },
    to_ops("$JS.API.CONSUMER.INFO.REMOTE_MESSAGES.*"),
    to_ops("$JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.*"),
];

/// What a session's account imports from the ops account (templates):
/// ops' subjects for this session, and this session's answers and own
/// consumers' API (the JetStream API under [`AGENT_JS_API`]).
pub const AGENT_IMPORTS: [&str; 16] = [
    "broadcast",
    "session.{{name()}}",
    "session.{{name()}}.presence",
    "sessions.ping",
    "receipt.*.{{name()}}",
    "ledger.*.{{name()}}",
    "presence.*.{{name()}}",
    "sessions.entry.*.{{name()}}.{{tag(user)}}",
    "$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{name()}}.session.{{name()}}",
    "$JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.{{account()}}.broadcast",
    "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{name()}}",
    "$JS.API.CONSUMER.MSG.NEXT.REMOTE_MESSAGES.{{account()}}",
    "$JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{name()}}",
    "$JS.API.CONSUMER.DELETE.REMOTE_MESSAGES.{{account()}}",
    "$JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{name()}}",
    "$JS.API.CONSUMER.INFO.REMOTE_MESSAGES.{{account()}}",
];

/// The limits in every session account and agent user JWT: one agent with
/// headroom. It holds about ten subscriptions (its four live subjects, its
/// inbox, a presence check, catch-up fetches) and publishes only small
/// answers and API requests (an entry with its sealing key is under 2 KiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentLimits {
    /// Subscriptions one agent connection may hold.
    pub subscriptions: i64,
    /// Largest message an agent may publish, in bytes.
    pub payload: i64,
    /// Bytes an agent may publish (nats-server records it; it enforces
    /// `subscriptions` and `payload`).
    pub data: i64,
    /// Connections of one session at once (an agent reconnecting before the
    /// server noticed its old connection gone holds two).
    pub connections: i64,
}

pub const AGENT_LIMITS: AgentLimits = AgentLimits {
    subscriptions: 64,
    payload: 64 * 1024,
    data: 64 * 1024 * 1024,
    connections: 4,
};

/// The values that fill an agent's templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    /// `{{name()}}`: the session id.
    pub session: String,
    /// `{{account()}}`: the session account's public key.
    pub account_key: String,
    /// The bound user name, if any (`{{tag(user)}}` is its hex, or `-`).
    pub user: Option<UserName>,
}

impl SessionGrant {
    /// `template` with its placeholders filled for this session.
    pub fn fill(&self, template: &str) -> String {
        template
            .replace("{{name()}}", &self.session)
            .replace("{{account()}}", &self.account_key)
            .replace("{{tag(user)}}", &UserName::token(self.user.as_ref()))
    }

    /// Every template of `templates` filled.
    pub fn fill_all(&self, templates: &[&str]) -> Vec<String> {
        templates.iter().map(|t| self.fill(t)).collect()
    }
}

/// The local subject an agent uses for an imported JetStream API subject
/// (`$JS.API.<rest>` → `ops.JS.API.<rest>`); other imports keep their subject.
pub fn local_subject(imported: &str) -> String {
    match imported.strip_prefix("$JS.API.") {
        Some(rest) => format!("{AGENT_JS_API}.{rest}"),
        None => imported.to_owned(),
    }
}

/// The export of the ops account that `subject` (an import) is taken from.
pub fn export_for(subject: &str) -> Option<&'static Export> {
    OPS_EXPORTS
        .iter()
        .find(|export| subject_within(subject, export.subject))
}

/// Whether every subject `subject` matches is matched by `pattern` (NATS
/// wildcards: `*` one token, `>` the rest).
pub fn subject_within(subject: &str, pattern: &str) -> bool {
    let mut subject = subject.split('.');
    let mut pattern = pattern.split('.');
    loop {
        match (pattern.next(), subject.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(s)) if s != ">" => {}
            (Some(p), Some(s)) if p == s => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The user JWT tag for a bound user (`user:<hex>`) or for none (`user:-`).
pub fn user_tag(user: Option<&UserName>) -> String {
    format!("{USER_TAG}:{}", UserName::token(user))
}

/// Reads a `user:` tag (`user:<hex>` / `user:-`): `Some(None)` for none,
/// `Some(Some(name))` for a user, `None` when it is not a valid user tag.
pub fn parse_user_tag(tag: &str) -> Option<Option<UserName>> {
    let value = tag.strip_prefix(USER_TAG)?.strip_prefix(':')?;
    UserName::from_token(value)
}

/// The API subject prefix every agent consumer permission starts with.
pub fn consumer_api(action: &str) -> String {
    format!("$JS.API.CONSUMER.{action}.{STREAM_NAME}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent's consumer permissions name the stream the agents read
    /// (the templates are literals, the stream name a constant: they agree),
    /// under the agent's local API prefix.
    #[test]
    fn agent_consumer_subjects_name_the_stream() {
        let js: Vec<_> = AGENT
            .publish
            .iter()
            .filter(|s| s.starts_with(AGENT_JS_API))
            .collect();
        assert_eq!(js.len(), 8);
        for subject in js {
            assert!(
                ["CREATE", "MSG.NEXT", "DELETE", "INFO"]
                    .iter()
                    .any(|a| subject.starts_with(&local_subject(&consumer_api(a)))),
                "{subject}"
            );
        }
    }

    /// Every import of a session account is taken from an export of the
    /// ops account; each JetStream import is what the agent may publish
    /// under its local prefix, and every other thing it publishes or
    /// listens to either crosses through an import or stays in its account
    /// (its inbox, its own presence check).
    #[test]
    fn the_wall_agrees_with_the_agent_role() {
        let local_only = [
            "_INBOX.{{name()}}.>",
            "session.{{name()}}.presence",
            "presence.*.{{name()}}",
        ];
        let imported: Vec<String> = AGENT_IMPORTS.iter().map(|s| local_subject(s)).collect();
        for import in AGENT_IMPORTS {
            assert!(export_for(import).is_some(), "{import} is not exported");
        }
        for subject in AGENT.publish.iter().chain(AGENT.subscribe) {
            assert!(
                imported.iter().any(|i| i == subject) || local_only.contains(subject),
                "{subject} crosses no import"
            );
        }
        for import in &imported {
            assert!(
                AGENT.publish.contains(&import.as_str())
                    || AGENT.subscribe.contains(&import.as_str()),
                "{import} is imported but the agent may not use it"
            );
        }
    }

    /// The names the agent uses (its inbox, its consumers, the subjects it
    /// answers on) are within what its filled templates allow.
    #[test]
    fn the_agents_names_match_its_templates() {
        let session: SessionId = "alice".parse().unwrap();
        let grant = SessionGrant {
            session: session.to_string(),
            account_key: "AKEY".into(),
            user: None,
        };
        let allowed = |subject: &str, templates: &[&str]| {
            grant
                .fill_all(templates)
                .iter()
                .any(|pattern| subject_within(subject, pattern))
        };
        let inbox = format!("{}.token", agent_inbox(&session));
        assert!(allowed(&inbox, AGENT.publish) && allowed(&inbox, AGENT.subscribe));
        let create = local_subject(&consumer_api("CREATE"));
        let session_feed = format!(
            "{create}{}.{}",
            session_consumer(&session),
            crate::Target::Session(session.clone()).subject()
        );
        let broadcast_feed = format!(
            "{create}{}.{}",
            broadcast_consumer(&session, Some("AKEY")),
            crate::Target::Broadcast.subject()
        );
        assert!(allowed(&session_feed, AGENT.publish), "{session_feed}");
        assert!(allowed(&broadcast_feed, AGENT.publish), "{broadcast_feed}");
        let receipt_to = crate::subject::new_receipt_to();
        let receipt = crate::subject::receipt_subject(&receipt_to, &session).unwrap();
        assert!(allowed(&receipt, AGENT.publish), "{receipt}");
        assert!(allowed(
            &crate::subject::presence_reply("t", &session),
            AGENT.publish
        ));
        let entry = crate::subject::entry_subject(
            &crate::subject::new_entry_reply(),
            &session,
            &UserName::token(None),
        );
        assert!(allowed(&entry, AGENT.publish), "{entry}");
    }

    /// Only pull batches are streamed answers; what ops publish goes to
    /// sessions, the rest to ops.
    #[test]
    fn exports_cross_the_right_way() {
        for export in OPS_EXPORTS {
            assert_eq!(export.streamed, export.subject.contains("MSG.NEXT"));
            let to_session = ["broadcast", "session.", "sessions.ping"]
                .iter()
                .any(|p| export.subject.starts_with(p));
            assert_eq!(
                export.crossing == Crossing::ToSession,
                to_session,
                "{}",
                export.subject
            );
        }
    }

    /// Filling puts the session, key and user hex in whole tokens.
    #[test]
    fn a_grant_fills_the_templates() {
        let grant = SessionGrant {
            session: "alice".into(),
            account_key: "AKEY".into(),
            user: Some(UserName::parse("vanessa").unwrap()),
        };
        assert_eq!(
            grant.fill("sessions.entry.*.{{name()}}.{{tag(user)}}"),
            "sessions.entry.*.alice.76616e65737361"
        );
        assert_eq!(
            local_subject(&grant.fill(AGENT_IMPORTS[9])),
            "ops.JS.API.CONSUMER.CREATE.REMOTE_MESSAGES.AKEY.broadcast"
        );
        let none = SessionGrant {
            user: None,
            ..grant
        };
        assert_eq!(none.fill("x.{{tag(user)}}"), "x.-");
    }

    /// NATS subject matching, as the wall's checks use it.
    #[test]
    fn subjects_within_patterns() {
        assert!(subject_within("session.alice", "session.*"));
        assert!(!subject_within("session.alice.presence", "session.*"));
        assert!(subject_within("a.b.c", "a.>"));
        assert!(!subject_within("a", "a.>"));
        assert!(subject_within("receipt.*.alice", "receipt.*.*"));
        assert!(!subject_within("receipt.>", "receipt.*.*"));
    }

    /// Every template is a whole token: nats-server expands only those.
    #[test]
    fn templates_are_whole_tokens() {
        for role in ROLES {
            for subject in role.publish.iter().chain(role.subscribe) {
                for token in subject.split('.') {
                    if token.contains("{{") {
                        assert!(
                            token.starts_with("{{") && token.ends_with("}}"),
                            "{subject}"
                        );
                    }
                }
            }
        }
    }

    /// The tag wraps a user's token; `user:-` is "none".
    #[test]
    fn user_tags_round_trip() {
        assert_eq!(user_tag(None), "user:-");
        assert_eq!(parse_user_tag("user:-"), Some(None));
        for name in ["vanessa", "Zoë Müller", "a.b*c>", &"x".repeat(64)] {
            let user = UserName::parse(name).unwrap();
            assert_eq!(parse_user_tag(&user_tag(Some(&user))), Some(Some(user)));
        }
    }

    /// Anything that is not a valid user tag is refused.
    #[test]
    fn bad_user_tags_are_refused() {
        assert_eq!(parse_user_tag("user:7G"), None);
        assert_eq!(parse_user_tag("users:-"), None);
        assert_eq!(parse_user_tag("-"), None);
    }
}
