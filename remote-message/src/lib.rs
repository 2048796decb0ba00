//! The shared heart of `remote-message`: the NATS version of 4D Server's
//! `SEND MESSAGE TO REMOTE USER ( message {; userSession} )`.
//!
//! Both binaries (`publisher`, run by ops, and `subscriber`, the agent on each
//! user machine) depend on this crate, so the wire contract written down in
//! `docs/protocol.md` lives in exactly one place.
//!
//! Layout:
//! - [`session_id`]: what a session id may be, and the one validator for it.
//! - [`subject`]: the subjects `broadcast` and `session.<id>`, and which target a subject names.
//! - [`envelope`]: the message payload; building it (publisher) and decoding anything (agent).
//! - [`priority`]: how strongly a message asks for attention (low, normal, high, urgent).
//! - [`sessions`]: session info, listing the live sessions, delivery receipts.
//! - [`stream`]: the JetStream stream that keeps a copy of every message for catch-up.
//! - [`signing`]: signed messages, so agents show only what trusted ops sent.
//! - [`sealing`]: session messages encrypted to the one agent they are for.
//! - [`connection`]: the NATS connection options both binaries take, and error text without secrets.
//! - [`terminal`]: untrusted text made safe to print on a terminal.
//! - [`exit`]: the documented process exit codes.
//! - [`identity`]: the login name and host name of this process.
//! - [`logging`]: stderr logging set-up, so stdout stays free for output meant for pipes.
//! - [`config`]: settings files for both binaries, layered under the command line and environment.
//! - [`generate`]: shell completions and man pages, generated from the clap definitions.

pub mod config;
pub mod connection;
pub mod envelope;
pub mod exit;
pub mod generate;
pub mod identity;
pub mod logging;
pub mod priority;
pub mod sealing;
pub mod session_id;
pub mod sessions;
pub mod signing;
pub mod stream;
pub mod subject;
pub mod terminal;

pub use envelope::{Envelope, Incoming, Rejection};
pub use priority::Priority;
pub use session_id::SessionId;
pub use subject::Target;
