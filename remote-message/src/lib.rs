//! The wire contract of `remote-message`: the NATS version of 4D Server's
//! `SEND MESSAGE TO REMOTE USER ( message {; userSession} )`.
//!
//! Both binaries (`publisher`, run by ops, and `subscriber`, the agent on each
//! user machine), the benchmarks and the fuzz targets depend on this crate,
//! so the contract written down in `docs/protocol.md` lives in exactly one
//! place. It holds the contract only: no command line, no process exit, no
//! logging set-up (those are in `remote-message-cli`).
//!
//! Layout (a module only uses modules listed before it):
//! - [`event`]: every log event name and refusal reason (stable fields), checked against docs/events.md.
//! - [`error`]: the one error shape, `Error<Kind>`: a kind to match on, a message, a source.
//! - [`public_key`]: user (`U…`), account (`A…`) and sealing (`X…`) public keys, each checked once.
//! - [`session_id`]: what a session id may be, and the one validator for it.
//! - [`user_name`]: what a user name may be (the one rule), `None` for no user, its subject token,
//!   and the one rule `--user` compares names by.
//! - [`subject`]: every subject of the contract (messages, presence, receipts, session list), and
//!   which target or sender a subject names.
//! - [`send_id`]: a send's id, and the message id type with the one constructor of ids made from it.
//! - [`answer`]: the answers a message offers (1 to 5 labels) and how a reply picks one.
//! - [`priority`]: how strongly a message asks for attention (low, normal, high, urgent).
//! - [`keys`]: seed files (signing, nkey, sealing keys), read in one place.
//! - [`sealing`]: session messages encrypted to the one agent they are for.
//! - [`envelope`]: the message payload; building it (publisher) and decoding anything (agent).
//! - [`signing`]: signed messages, so agents show only what trusted ops sent.
//! - [`stream`]: the JetStream stream that keeps a copy of every message for catch-up.
//! - [`roles`]: the per-session identity roles (agent, ops): permission templates, the `user:` tag.
//! - [`sessions`]: session info, listing the live sessions (identity from the subject), the
//!   `--where` filter over them, receipts.
//! - [`ledger`]: the per-session ledger (what became of each message: delivered, read, answered,
//!   recalled, expired) and ops' send records, in a stream of its own.
//! - [`terminal`]: untrusted text made safe to show (terminal, table, notification).

pub mod answer;
pub mod envelope;
pub mod error;
pub mod event;
pub mod keys;
pub mod ledger;
pub mod priority;
pub mod public_key;
pub mod roles;
pub mod sealing;
pub mod send_id;
pub mod session_id;
pub mod sessions;
pub mod signing;
pub mod stream;
pub mod subject;
pub mod terminal;
pub mod user_name;

pub use answer::Answers;
pub use envelope::{Envelope, Incoming, Rejection};
pub use error::Error;
pub use event::{Event, RefusalReason};
pub use priority::Priority;
pub use public_key::{AccountKey, SealingKey, UserKey};
pub use send_id::{MessageId, SendId};
pub use session_id::SessionId;
pub use subject::Target;
pub use user_name::UserName;
