//! Per-session identity, enforced by the broker: `publisher admin` sets it
//! up, and a raw async-nats client holding agent alice's creds plays the
//! attacker. Every attack must come back as the server's permission error
//! (or a JetStream error) and have no effect; what alice's role allows must
//! work. Run against Debian's nats-server and the newest (scripts/test).

use super::next_within;
use async_nats::jetstream::{self, consumer};
use async_nats::{Client, ConnectOptions, Event, Subscriber};
use e2e::exit::USAGE;
use e2e::identity::{admin, admin_with_env, jwt_claim, Identity};
use e2e::{expect_exit, file_mode, WAIT};
use futures::StreamExt;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

const STREAM: &str = "REMOTE_MESSAGES";
/// Where a session account finds the ops account's JetStream API (the
/// account wall's import prefix).
const AGENT_API: &str = "ops.JS.API";

/// Lowercase hex of a user name, as in the `user:` tag and entry subjects.
fn hex(name: &str) -> String {
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A connection and the server errors it was sent (`-ERR …`).
pub(crate) struct Conn {
    pub(crate) client: Client,
    pub(crate) errors: mpsc::UnboundedReceiver<String>,
    /// Ops may not publish on an inbox: it syncs through the JetStream API.
    ops: bool,
}

/// Connects with `creds`; agents use their own inbox prefix `_INBOX.<id>`.
pub(crate) async fn connect(id: &Identity, creds: &Path, inbox: Option<&str>) -> Conn {
    let (tx, errors) = mpsc::unbounded_channel();
    let mut options = ConnectOptions::with_credentials_file(creds)
        .await
        .expect("read creds")
        .request_timeout(Some(Duration::from_secs(3)))
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let Event::ServerError(error) = event {
                    let _ = tx.send(error.to_string());
                }
            }
        });
    if let Some(prefix) = inbox {
        options = options.custom_inbox_prefix(prefix);
    }
    let client = tokio::time::timeout(WAIT, options.connect(id.url()))
        .await
        .expect("connected in time")
        .expect("connect with creds");
    Conn {
        client,
        errors,
        ops: inbox.is_none(),
    }
}

/// Agent `id`'s connection, with its own inbox prefix, as the agent makes it.
pub(crate) async fn agent(identity: &Identity, creds: &Path, id: &str) -> Conn {
    connect(identity, creds, Some(&format!("_INBOX.{id}"))).await
}

impl Conn {
    /// The JetStream API as an agent reaches it: the ops account's, through
    /// its session account's imports.
    fn js(&self) -> jetstream::Context {
        jetstream::with_prefix(self.client.clone(), AGENT_API)
    }

    /// A round trip through the server: everything this connection sent
    /// before (SUB, PUB) has been processed when it returns. (`flush` only
    /// writes the socket; it waits for no answer.)
    async fn sync(&self) {
        if self.ops {
            tokio::time::timeout(WAIT, self.client.request("$JS.API.INFO", "".into()))
                .await
                .expect("sync in time")
                .expect("JetStream answers ops");
            return;
        }
        let subject = self.client.new_inbox();
        let mut echo = self.client.subscribe(subject.clone()).await.unwrap();
        self.client.publish(subject, "".into()).await.unwrap();
        next_within(&mut echo, "the sync echo").await;
    }

    /// Waits (bounded) for the server's "Permissions Violation for
    /// `kind` to "`subject`"" and returns its text.
    pub(crate) async fn violation(&mut self, kind: &str, subject: &str) -> String {
        self.server_error(&format!(
            "Permissions Violation for {kind} to \"{subject}\""
        ))
        .await
    }

    /// Waits (bounded) for a server error holding `wanted` (case
    /// insensitive) and returns its text.
    async fn server_error(&mut self, wanted: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.errors.recv()).await {
                Ok(Some(error)) if error.to_lowercase().contains(&wanted.to_lowercase()) => {
                    return error
                }
                Ok(Some(_other)) => continue,
                Ok(None) => panic!("connection events closed before {wanted:?}"),
                Err(_) => panic!("no {wanted:?} within {WAIT:?}"),
            }
        }
    }

    /// Publishes on `subject` (with a reply inbox of this connection, as a
    /// request would) and expects the publish permission error.
    async fn publish_refused(&mut self, subject: &str, body: &str) -> String {
        let inbox = self.client.new_inbox();
        self.client
            .publish_with_reply(subject.to_owned(), inbox, body.to_owned().into())
            .await
            .expect("publish is sent");
        self.client.flush().await.expect("flush");
        self.violation("Publish", subject).await
    }

    /// Subscribes to `subject` and expects the subscription permission
    /// error; returns the subscription, to show nothing reaches it.
    async fn subscribe_refused(&mut self, subject: &str) -> Subscriber {
        let sub = self
            .client
            .subscribe(subject.to_owned())
            .await
            .expect("SUB is sent");
        self.client.flush().await.expect("flush");
        self.violation("Subscription", subject).await;
        sub
    }
}

/// Asserts `sub` has nothing queued. Only meaningful after a barrier: a
/// later message on the same connection was already received.
fn nothing_queued(sub: &mut Subscriber, what: &str) {
    use futures::FutureExt;
    if let Some(Some(msg)) = sub.next().now_or_never() {
        panic!("{what} received {:?} on {}", msg.payload, msg.subject);
    }
}

/// Stores `body` on `subject` in the stream (ops, acknowledged).
async fn store(ops: &Conn, subject: &str, body: &str) {
    let js = jetstream::new(ops.client.clone());
    tokio::time::timeout(WAIT, async {
        js.publish(subject.to_owned(), body.to_owned().into())
            .await
            .expect("publish")
            .await
            .expect("stored")
    })
    .await
    .expect("stored in time");
}

/// A consumer config as the agent makes it: named, one filter, ack none.
fn consumer_config(name: &str, filter: &str) -> consumer::pull::Config {
    consumer::pull::Config {
        name: Some(name.to_owned()),
        filter_subject: filter.to_owned(),
        ack_policy: consumer::AckPolicy::None,
        inactive_threshold: Duration::from_secs(60),
        ..Default::default()
    }
}

/// The names of the stream's consumers, as ops sees them.
async fn consumer_names(ops: &Conn) -> Vec<String> {
    let js = jetstream::new(ops.client.clone());
    let stream = js.get_stream(STREAM).await.expect("stream");
    let mut names: Vec<String> = stream
        .consumer_names()
        .map(|n| n.expect("consumer name"))
        .collect()
        .await;
    names.sort();
    names
}

/// `admin init` writes a private directory: keys and ops creds 0600, the
/// directory 0700, a server config that holds no seed; a second init into
/// the same directory is refused (exit 2) and changes nothing (kept with
/// `--if-missing`, unless partial); the server
/// starts from the config and the ops creds connect.
#[tokio::test]
async fn init_writes_a_private_set_up_and_the_server_runs_it() {
    let identity = Identity::start();
    let dir = identity.admin_dir();
    assert_eq!(file_mode(&dir), 0o700);
    assert_eq!(file_mode(&dir.join("keys")), 0o700);
    let keys: Vec<_> = std::fs::read_dir(dir.join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for key in &keys {
        assert_eq!(file_mode(key), 0o600, "{}", key.display());
    }
    assert_eq!(file_mode(&identity.ops_creds()), 0o600);
    let conf = std::fs::read_to_string(dir.join("nats-server.conf")).unwrap();
    assert!(conf.starts_with("# nats-server configuration for remote-message"));
    assert!(conf.contains("holds no secret"));
    assert!(conf.contains("type: full"), "{conf}");
    assert_eq!(file_mode(&dir.join("system.creds")), 0o600);
    for seed_prefix in ["SO", "SA", "SU"] {
        assert!(
            !conf
                .split_whitespace()
                .any(|w| w.starts_with(seed_prefix) && w.len() == 58),
            "a seed in the config"
        );
    }

    let out = admin(&["init", "--out", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    expect_exit(&out, USAGE);
    assert!(stderr.contains("already holds"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("nats-server.conf")).unwrap(),
        conf
    );
    // --if-missing (compose runs init on every `up`) keeps a whole set-up
    // and succeeds, but still refuses a partial one.
    let kept = admin(&["init", "--out", dir.to_str().unwrap(), "--if-missing"]);
    let stdout = expect_exit(&kept, 0);
    assert!(stdout.contains("kept as it is"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.join("nats-server.conf")).unwrap(),
        conf
    );
    let partial = tempfile::tempdir().unwrap();
    std::fs::write(partial.path().join("ops.creds"), "x").unwrap();
    let out = admin(&[
        "init",
        "--out",
        partial.path().to_str().unwrap(),
        "--if-missing",
    ]);
    expect_exit(&out, USAGE);

    let ops = connect(&identity, &identity.ops_creds(), None).await;
    ops.sync().await;
}

/// `admin agent-creds` writes a 0600 creds file, prints it for `--out -`,
/// reads the directory from REMOTE_MESSAGE_ADMIN_DIR, and refuses (exit 2)
/// a missing directory, a bad session id, a bad user name and a session id
/// shaped like a user key.
#[test]
fn agent_creds_are_checked_and_private() {
    let identity = Identity::start();
    let file = identity.agent_creds("alice", Some("vanessa"));
    assert_eq!(file_mode(&file), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("-----BEGIN NATS USER JWT-----\n"),
        "{text}"
    );
    assert!(text.contains("-----BEGIN USER NKEY SEED-----\nSU"));

    let dir = identity.admin_dir();
    let printed = admin_with_env(
        &[
            "--server",
            &identity.url(),
            "agent-creds",
            "--session",
            "bob",
            "--out",
            "-",
        ],
        &[("REMOTE_MESSAGE_ADMIN_DIR", dir.to_str().unwrap())],
    );
    assert!(expect_exit(&printed, 0).starts_with("-----BEGIN NATS USER JWT-----"));

    let no_dir = admin(&["agent-creds", "--session", "bob", "--out", "-"]);
    expect_exit(&no_dir, USAGE);
    assert!(String::from_utf8_lossy(&no_dir.stderr).contains("--dir"));

    let dir = dir.to_str().unwrap();
    let user_key = "UAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let account_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(user_key.len(), 56);
    for bad in [
        vec!["--session", "a.b"],
        vec!["--session", "bob", "--user", ""],
        vec!["--session", "bob", "--user", "a\u{7}b"],
        vec!["--session", user_key],
        vec!["--session", account_key],
    ] {
        let mut args = vec!["agent-creds", "--dir", dir, "--out", "-"];
        args.extend(bad.iter().copied());
        let out = admin(&args);
        expect_exit(&out, USAGE);
        assert!(out.stdout.is_empty(), "{bad:?}");
    }
}

/// `admin agent-creds` never replaces an existing `--out` file unless
/// `--force` says so: without it, exit 2 naming the file and `--force`, the
/// file as it was, no account kept in DIR/accounts/ and none pushed to the
/// server's resolver (checked before anything else); `ops-creds` likewise.
/// With `--force` the file is replaced by private creds.
#[test]
fn creds_files_are_replaced_only_with_force() {
    let identity = Identity::start();
    let dir = identity.admin_dir();
    let resolver = dir.join("../resolver");
    let pushed = || std::fs::read_dir(&resolver).unwrap().count();
    let before = pushed();
    let taken = dir.join("../taken.creds");
    std::fs::write(&taken, "keep me").unwrap();
    let (url, dir_arg, taken_arg) = (
        identity.url(),
        dir.to_str().unwrap().to_owned(),
        taken.to_str().unwrap().to_owned(),
    );
    let mint = |extra: &[&str]| {
        let mut args = vec![
            "--server",
            &url,
            "agent-creds",
            "--dir",
            &dir_arg,
            "--session",
            "dave",
            "--out",
            &taken_arg,
        ];
        args.extend_from_slice(extra);
        admin(&args)
    };

    for refused in [
        mint(&[]),
        admin(&["ops-creds", "--dir", &dir_arg, "--out", &taken_arg]),
    ] {
        expect_exit(&refused, USAGE);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("{taken_arg} already exists")) && stderr.contains("--force"),
            "{stderr}"
        );
        assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");
    }
    assert!(
        !dir.join("accounts/dave.jwt").exists(),
        "an account was kept"
    );
    assert_eq!(pushed(), before, "an account was pushed");

    expect_exit(&mint(&["--force"]), 0);
    let text = std::fs::read_to_string(&taken).unwrap();
    assert!(text.starts_with("-----BEGIN NATS USER JWT-----"), "{text}");
    assert_eq!(file_mode(&taken), 0o600);
    assert!(dir.join("accounts/dave.jwt").exists());
}

/// A session's creds work only once its account is on the server: with
/// the server unreachable, `agent-creds` exits 3 and writes no creds file
/// (the message says what to do); `--no-push` writes them and says they
/// wait for a push, and the server refuses them until `admin push` sent the
/// kept account; then they connect.
#[tokio::test]
async fn a_session_account_is_pushed_or_kept_for_later() {
    let identity = Identity::start();
    let dir = identity.admin_dir();
    let dir = dir.to_str().unwrap();
    let creds = identity.admin_dir().join("../carol.creds");
    let creds_arg = creds.to_str().unwrap();
    let dead = format!("nats://127.0.0.1:{}", e2e::server::free_port());
    let mint = |server: &str, extra: &[&str]| {
        let mut args = vec![
            "--server",
            server,
            "--timeout",
            "2s",
            "agent-creds",
            "--dir",
            dir,
            "--session",
            "carol",
            "--out",
            creds_arg,
        ];
        args.extend_from_slice(extra);
        admin(&args)
    };
    let unreachable = mint(&dead, &[]);
    expect_exit(&unreachable, 3);
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(stderr.contains("No creds were written"), "{stderr}");
    assert!(stderr.contains("--no-push"), "{stderr}");
    assert!(!creds.exists());

    let offline = mint(&dead, &["--no-push"]);
    expect_exit(&offline, 0);
    assert!(
        String::from_utf8_lossy(&offline.stderr).contains("NOT pushed"),
        "{offline:?}"
    );
    let refused = ConnectOptions::with_credentials_file(&creds)
        .await
        .unwrap()
        .connect(identity.url())
        .await;
    assert!(refused.is_err(), "creds of an account the server lacks");

    let pushed = admin(&["--server", &identity.url(), "push", "--dir", dir]);
    let stdout = expect_exit(&pushed, 0);
    assert!(stdout.contains("pushed 1 session account to "), "{stdout}");
    let carol = agent(&identity, &creds, "carol").await;
    carol.sync().await;
}

/// An admin directory made before the account wall (agents in the stream's
/// account) is refused by every admin command, exit 2, saying what to do;
/// nothing is written into it.
#[test]
fn a_set_up_from_before_the_wall_is_refused_with_what_to_do() {
    let old = tempfile::tempdir().unwrap();
    let keys = old.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    for key in [
        "operator.nk",
        "system-account.nk",
        "account.nk",
        "agent-signing.nk",
        "ops-signing.nk",
    ] {
        std::fs::write(keys.join(key), "SAAAA\n").unwrap();
    }
    std::fs::write(old.path().join("nats-server.conf"), "resolver: MEMORY\n").unwrap();
    std::fs::write(old.path().join("ops.creds"), "x").unwrap();
    let dir = old.path().to_str().unwrap();
    for args in [
        vec!["init", "--out", dir, "--if-missing"],
        vec!["init", "--out", dir],
        vec!["agent-creds", "--dir", dir, "--session", "a", "--out", "-"],
        vec!["ops-creds", "--dir", dir, "--out", "-"],
    ] {
        let out = admin(&args);
        expect_exit(&out, USAGE);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("before the account wall"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("publisher admin init --out NEW-DIR"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(!old.path().join("accounts").exists());
    assert!(!old.path().join("system.creds").exists());
}

/// Ops creds (from init, and a second set from `admin ops-creds`) may send
/// on `broadcast` and `session.<id>`, ask for presence and use the JetStream
/// API (`publisher setup`, storing, listing consumers); agent alice receives
/// what ops sends her, answers ops' presence request, and with no user bound
/// lists herself under `-`.
#[tokio::test]
async fn ops_creds_send_ask_and_manage_the_stream() {
    let identity = Identity::start();
    identity.setup_stream();
    let second = identity.admin_dir().join("ops2.creds");
    let out = admin(&[
        "ops-creds",
        "--dir",
        identity.admin_dir().to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
    ]);
    expect_exit(&out, 0);
    assert_eq!(file_mode(&second), 0o600);
    let ops = connect(&identity, &second, None).await;

    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let mut broadcast = alice.client.subscribe("broadcast").await.unwrap();
    let mut own = alice.client.subscribe("session.alice").await.unwrap();
    let mut presence = alice
        .client
        .subscribe("session.alice.presence")
        .await
        .unwrap();
    alice.sync().await;

    ops.client
        .publish("broadcast", "to all".into())
        .await
        .unwrap();
    ops.client
        .publish("session.alice", "to alice".into())
        .await
        .unwrap();
    assert_eq!(
        &next_within(&mut broadcast, "broadcast").await.payload[..],
        b"to all"
    );
    assert_eq!(
        &next_within(&mut own, "session.alice").await.payload[..],
        b"to alice"
    );

    // Presence: ops asks with reply presence.<token>.<id>; alice answers there.
    let mut answers = ops.client.subscribe("presence.p1.*").await.unwrap();
    ops.sync().await;
    ops.client
        .publish_with_reply("session.alice.presence", "presence.p1.alice", "".into())
        .await
        .unwrap();
    let ask = next_within(&mut presence, "presence").await;
    let reply = ask.reply.expect("presence has a reply subject");
    alice
        .client
        .publish(reply, r#"{"session":"alice"}"#.into())
        .await
        .unwrap();
    let answer = next_within(&mut answers, "presence answer").await;
    assert_eq!(answer.subject.as_str(), "presence.p1.alice");
    assert_eq!(&answer.payload[..], br#"{"session":"alice"}"#);

    // No user bound: her entry goes under `-`.
    let mut entries = ops.client.subscribe("sessions.entry.t.>").await.unwrap();
    ops.sync().await;
    alice
        .client
        .publish("sessions.entry.t.alice.-", "{}".into())
        .await
        .unwrap();
    assert_eq!(
        next_within(&mut entries, "entry").await.subject.as_str(),
        "sessions.entry.t.alice.-"
    );

    store(&ops, "session.alice", "stored").await;
    assert!(consumer_names(&ops).await.is_empty());
}

/// Alice's creds allow everything her agent does: her live subjects, the
/// session list (entry under her id and bound user), receipts under her id,
/// her two named filtered consumers (create, read stored messages, info,
/// delete) and her own inbox.
#[tokio::test]
async fn an_agent_may_use_its_own_subjects_and_consumers() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let creds = identity.agent_creds("alice", Some("vanessa"));
    let alice = agent(&identity, &creds, "alice").await;
    let mut ping = alice.client.subscribe("sessions.ping").await.unwrap();
    alice.sync().await;

    // The session list: ops pings, alice answers under her id and user.
    let mut entries = ops.client.subscribe("sessions.entry.t1.>").await.unwrap();
    let mut receipts = ops.client.subscribe("receipt.t1.>").await.unwrap();
    ops.sync().await;
    ops.client
        .publish_with_reply("sessions.ping", "sessions.entry.t1", "".into())
        .await
        .unwrap();
    let asked = next_within(&mut ping, "sessions.ping").await;
    let entry_subject = format!("{}.alice.{}", asked.reply.unwrap(), hex("vanessa"));
    alice
        .client
        .publish(entry_subject.clone(), "{}".into())
        .await
        .unwrap();
    alice
        .client
        .publish("receipt.t1.alice", r#"{"session":"alice"}"#.into())
        .await
        .unwrap();
    assert_eq!(
        next_within(&mut entries, "entry").await.subject.as_str(),
        entry_subject
    );
    assert_eq!(
        next_within(&mut receipts, "receipt").await.subject.as_str(),
        "receipt.t1.alice"
    );

    // Catch-up: both consumers, named and filtered in the API subject.
    store(&ops, "session.alice", "for alice").await;
    store(&ops, "broadcast", "for all").await;
    let js = alice.js();
    let account_key = jwt_claim(&creds, "iss");
    assert!(
        remote_message::AccountKey::parse(&account_key).is_some(),
        "{account_key}"
    );
    for (name, filter, body) in [
        ("alice", "session.alice", "for alice"),
        (account_key.as_str(), "broadcast", "for all"),
    ] {
        let mut consumer = js
            .create_consumer_on_stream(consumer_config(name, filter), STREAM)
            .await
            .unwrap_or_else(|e| panic!("alice creates consumer {name} on {filter}: {e}"));
        let info = consumer.info().await.expect("consumer info").clone();
        assert_eq!(info.config.filter_subject, filter);
        let mut batch = consumer
            .fetch()
            .max_messages(1)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .expect("fetch");
        let msg = tokio::time::timeout(WAIT, batch.next())
            .await
            .expect("fetched in time")
            .expect("a stored message")
            .expect("message");
        assert_eq!(&msg.payload[..], body.as_bytes());
        let stream = js.get_stream_no_info(STREAM).await.unwrap();
        assert!(stream.delete_consumer(name).await.expect("delete").success);
    }
    assert!(consumer_names(&ops).await.is_empty());
}

/// Alice cannot listen to another session or to the answers meant for ops:
/// subscribing to `session.bob`, `session.bob.presence`, `_INBOX.>`,
/// `_INBOX.bob.>`, `receipt.>`, `sessions.entry.>`, `presence.>` and `presence.*.bob` is refused by the
/// server, and what bob and ops then send there never reaches her (a later
/// message on her own subject arrives first, proving the order).
#[tokio::test]
async fn an_agent_cannot_listen_to_others() {
    let identity = Identity::start();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    let mut alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let mut own = alice.client.subscribe("session.alice").await.unwrap();

    let mut stolen = Vec::new();
    for subject in [
        "session.bob",
        "session.bob.presence",
        "_INBOX.>",
        "_INBOX.bob.>",
        "receipt.>",
        "sessions.entry.>",
        "presence.>",
        "presence.*.bob",
    ] {
        stolen.push((subject, alice.subscribe_refused(subject).await));
    }

    // Bob's own traffic, then ops' traffic for bob, then a barrier for alice.
    for (subject, body) in [
        ("_INBOX.bob.x", "bob's inbox"),
        ("receipt.t.bob", r#"{"session":"bob"}"#),
        ("sessions.entry.t.bob.-", "{}"),
        ("presence.t.bob", r#"{"session":"bob"}"#),
    ] {
        bob.client.publish(subject, body.into()).await.unwrap();
    }
    bob.sync().await;
    ops.client
        .publish("session.bob", "secret".into())
        .await
        .unwrap();
    ops.client
        .publish("session.bob.presence", "".into())
        .await
        .unwrap();
    ops.client
        .publish("session.alice", "barrier".into())
        .await
        .unwrap();
    ops.sync().await;
    assert_eq!(
        &next_within(&mut own, "the barrier").await.payload[..],
        b"barrier"
    );
    for (subject, sub) in &mut stolen {
        nothing_queued(sub, subject);
    }
}

/// Alice cannot pose as another session or user, nor as ops: publishing a
/// receipt or a session-list entry under bob's id, an entry under her id
/// with another user, a presence answer for bob, a message on `broadcast` or
/// a session subject (also as an "answer" to a message she sent herself with
/// that reply subject) is refused by the server; ops and bob see none of it, only what alice may
/// send, which arrives after it.
#[tokio::test]
async fn an_agent_cannot_pose_as_another() {
    let identity = Identity::start();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    let mut bob_live = bob.client.subscribe("session.bob").await.unwrap();
    let mut bob_all = bob.client.subscribe("broadcast").await.unwrap();
    bob.sync().await;
    let mut answers = ops.client.subscribe("receipt.>").await.unwrap();
    let mut entries = ops.client.subscribe("sessions.entry.>").await.unwrap();
    ops.sync().await;
    let mut alice = agent(
        &identity,
        &identity.agent_creds("alice", Some("vanessa")),
        "alice",
    )
    .await;

    for subject in [
        "receipt.x.bob".to_owned(),
        format!("sessions.entry.x.bob.{}", hex("vanessa")),
        format!("sessions.entry.x.alice.{}", hex("mallory")),
        "sessions.entry.x.alice.-".to_owned(),
        "broadcast".to_owned(),
        "session.bob".to_owned(),
        "session.alice".to_owned(),
        "_INBOX.bob.x".to_owned(),
        "presence.x.bob".to_owned(),
        "session.bob.presence".to_owned(),
    ] {
        alice.publish_refused(&subject, "forged").await;
    }

    // No response permission to abuse: a message alice sends herself with
    // reply subject `session.bob` does not let her "answer" there.
    let mut own_inbox = alice.client.subscribe("_INBOX.alice.loop").await.unwrap();
    alice
        .client
        .publish_with_reply("_INBOX.alice.loop", "session.bob", "".into())
        .await
        .unwrap();
    let looped = next_within(&mut own_inbox, "her own message").await;
    alice
        .publish_refused(looped.reply.unwrap().as_str(), "forged answer")
        .await;

    // What alice may send, after the forgeries: ops gets only that.
    alice
        .client
        .publish("receipt.x.alice", "mine".into())
        .await
        .unwrap();
    let own_entry = format!("sessions.entry.x.alice.{}", hex("vanessa"));
    alice
        .client
        .publish(own_entry.clone(), "{}".into())
        .await
        .unwrap();
    alice.sync().await;
    assert_eq!(
        next_within(&mut answers, "receipt").await.subject.as_str(),
        "receipt.x.alice"
    );
    assert_eq!(
        next_within(&mut entries, "entry").await.subject.as_str(),
        own_entry
    );

    // The forged live messages were dropped by the server (the errors
    // above); ops' next messages are the first bob sees.
    ops.client
        .publish("session.bob", "real".into())
        .await
        .unwrap();
    ops.client
        .publish("broadcast", "real all".into())
        .await
        .unwrap();
    assert_eq!(
        &next_within(&mut bob_live, "session.bob").await.payload[..],
        b"real"
    );
    assert_eq!(
        &next_within(&mut bob_all, "broadcast").await.payload[..],
        b"real all"
    );
}

/// Alice cannot read or disturb stored messages beyond her own: the
/// unfiltered, wrongly filtered, wrongly named and durable consumer creates,
/// listing consumers, stream info (with a subjects filter), fetching from
/// or deleting bob's consumer, and reading stream messages directly are all
/// refused by the server; bob's consumer is still there afterwards.
/// Inside her own API subject, a body whose filter differs from the
/// subject's is refused by JetStream.
#[tokio::test]
async fn an_agent_cannot_touch_others_stored_messages() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    store(&ops, "session.bob", "for bob only").await;
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    bob.js()
        .create_consumer_on_stream(consumer_config("bob", "session.bob"), STREAM)
        .await
        .expect("bob's own consumer");
    let mut alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;

    let create = |name: &str, filter: &str| {
        serde_json::json!({
            "stream_name": STREAM,
            "config": {"name": name, "filter_subject": filter, "ack_policy": "none"}
        })
        .to_string()
    };
    // Under the ops API prefix (what her imports offer) and under the local
    // `$JS.API` (her account has no JetStream).
    for api in [AGENT_API, "$JS.API"] {
        for (subject, body) in [
            (format!("{api}.CONSUMER.CREATE.{STREAM}"), create("", "")),
            (
                format!("{api}.CONSUMER.CREATE.{STREAM}.alice"),
                create("alice", ""),
            ),
            (
                format!("{api}.CONSUMER.CREATE.{STREAM}.alice.session.bob"),
                create("alice", "session.bob"),
            ),
            (
                format!("{api}.CONSUMER.CREATE.{STREAM}.alice.session.>"),
                create("alice", "session.>"),
            ),
            (
                format!("{api}.CONSUMER.CREATE.{STREAM}.bob.session.bob"),
                create("bob", "session.bob"),
            ),
            (
                format!("{api}.CONSUMER.CREATE.{STREAM}.bob.session.alice"),
                create("bob", "session.alice"),
            ),
            (
                format!("{api}.CONSUMER.DURABLE.CREATE.{STREAM}.alice"),
                serde_json::json!({"stream_name": STREAM, "config": {"durable_name": "alice"}})
                    .to_string(),
            ),
            (format!("{api}.CONSUMER.LIST.{STREAM}"), "{}".into()),
            (format!("{api}.CONSUMER.NAMES.{STREAM}"), "{}".into()),
            (format!("{api}.CONSUMER.DELETE.{STREAM}.bob"), String::new()),
            (format!("{api}.CONSUMER.INFO.{STREAM}.bob"), String::new()),
            (
                format!("{api}.CONSUMER.MSG.NEXT.{STREAM}.bob"),
                r#"{"batch":1}"#.into(),
            ),
            (
                format!("{api}.STREAM.INFO.{STREAM}"),
                r#"{"subjects_filter":">"}"#.into(),
            ),
            (
                format!("{api}.STREAM.MSG.GET.{STREAM}"),
                r#"{"seq":1}"#.into(),
            ),
            (format!("{api}.DIRECT.GET.{STREAM}"), r#"{"seq":1}"#.into()),
            (format!("{api}.STREAM.NAMES"), "{}".into()),
            (format!("{api}.STREAM.DELETE.{STREAM}"), String::new()),
            (format!("{api}.STREAM.PURGE.{STREAM}"), String::new()),
        ] {
            alice.publish_refused(&subject, &body).await;
        }
    }
    assert_eq!(consumer_names(&ops).await, ["bob"]);

    // Her own API subject, a body asking for bob's messages: JetStream
    // refuses the mismatch.
    let reply = alice
        .client
        .request(
            format!("{AGENT_API}.CONSUMER.CREATE.{STREAM}.alice.session.alice"),
            create("alice", "session.bob").into(),
        )
        .await
        .expect("JetStream answers");
    let answer: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert!(answer.get("error").is_some(), "{answer}");
    assert_eq!(consumer_names(&ops).await, ["bob"]);
}

/// Issue 12, attack 5, end to end: bob's agent is not running; alice's
/// creds try to hear bob's presence question and to answer it or forge
/// bob's receipts. All refused, so `publisher send --session bob --wait=3s
/// --json` reports bob not connected and exits 4, never "delivered".
#[tokio::test]
async fn a_stopped_session_cannot_be_answered_for() {
    let identity = Identity::start();
    identity.setup_stream();
    let mut alice = agent(
        &identity,
        &identity.agent_creds("alice", Some("alice")),
        "alice",
    )
    .await;
    alice.subscribe_refused("session.bob.presence").await;
    alice.subscribe_refused("session.*.presence").await;
    alice.subscribe_refused("session.bob").await;
    alice.subscribe_refused("receipt.>").await;
    alice.subscribe_refused("presence.>").await;
    let receipt =
        r#"{"id":"x-bob","session":"bob","status":"delivered","at":"2026-11-30T20:00:00Z"}"#;
    alice.publish_refused("receipt.t.bob", receipt).await;
    alice
        .publish_refused("presence.t.bob", r#"{"session":"bob"}"#)
        .await;

    let out =
        identity.ops_publisher(&["send", "--session", "bob", "--wait=3s", "--json", "hi bob"]);
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 4)).unwrap();
    assert_eq!(
        report["not_connected"],
        serde_json::json!(["bob"]),
        "{report}"
    );
    assert_eq!(report["delivered"], serde_json::json!(0), "{report}");
}

/// Issue 12, attacks 1 and 2, end to end: vanessa's real agent (session v1)
/// and alice's (user alice) are live; alice's creds also try to list
/// themselves as vanessa or as session v1. The session list shows each
/// session with the user its creds are bound to, `send --user vanessa
/// --seal` seals to v1's key alone and v1 shows it; alice's agent gets
/// nothing but the broadcast that follows.
#[tokio::test]
async fn seal_and_user_reach_only_the_bound_session() {
    let identity = Identity::start();
    identity.setup_stream();
    let mut vanessa = identity.agent(&identity.agent_creds("v1", Some("vanessa")), &[]);
    let alice_creds = identity.agent_creds("alice", Some("alice"));
    let mut alice_agent = identity.agent(&alice_creds, &[]);
    let mut mallory = agent(&identity, &alice_creds, "alice").await;
    for subject in [
        format!("sessions.entry.t.v1.{}", hex("vanessa")),
        format!("sessions.entry.t.alice.{}", hex("vanessa")),
    ] {
        mallory
            .publish_refused(
                &subject,
                r#"{"since":"2026-11-30T20:00:00Z","xkey":"XFORGED"}"#,
            )
            .await;
    }

    let listed = expect_exit(&identity.ops_publisher(&["sessions", "--json"]), 0);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let rows: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().into(),
                s["user"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("alice".to_owned(), "alice".to_owned()),
            ("v1".into(), "vanessa".into())
        ]
    );

    let out = identity.ops_publisher(&[
        "send",
        "--user",
        "vanessa",
        "--seal",
        "--json",
        "for vanessa only",
    ]);
    let report: serde_json::Value = serde_json::from_str(&expect_exit(&out, 0)).unwrap();
    assert_eq!(report["delivered"], serde_json::json!(1), "{report}");
    assert_eq!(vanessa.next_text(), "for vanessa only");
    expect_exit(&identity.ops_publisher(&["send", "--no-wait", "marker"]), 0);
    assert_eq!(
        alice_agent.next_text(),
        "marker",
        "alice's agent got vanessa's message"
    );
}

/// Issue 12, attack 3, end to end: while bob's agent is away, alice's creds
/// try to listen on every inbox; bob's agent comes back and its
/// subscription confirmation and catch-up work: it shows what it missed.
#[tokio::test]
async fn nobody_can_stop_another_agents_catch_up() {
    let identity = Identity::start();
    identity.setup_stream();
    let bob_creds = identity.agent_creds("bob", None);
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let args = [
        "--creds",
        bob_creds.to_str().unwrap(),
        "--state-dir",
        state_dir,
    ];
    let mut bob = e2e::Agent::spawn(&identity.url(), &args);
    bob.wait_subscribed();
    bob.signal(nix::sys::signal::Signal::SIGTERM);
    bob.wait_exit();

    let mut alice = agent(
        &identity,
        &identity.agent_creds("alice", Some("alice")),
        "alice",
    )
    .await;
    alice.subscribe_refused("_INBOX.>").await;
    alice.subscribe_refused("_INBOX.bob.>").await;
    expect_exit(
        &identity.ops_publisher(&[
            "send",
            "--session",
            "bob",
            "--no-wait",
            "while you were away",
        ]),
        0,
    );

    let mut bob = e2e::Agent::spawn(&identity.url(), &args);
    bob.wait_subscribed();
    assert_eq!(bob.next_text(), "while you were away");
    let unconfirmed = bob.events("subscription_unconfirmed");
    assert!(unconfirmed.is_empty(), "{unconfirmed:?}");
}

// Issue 21: JetStream answers a request on whatever reply subject the
// requester named, without checking the requester's permissions. Alice's
// creds pull from her own, allowed consumer with a reply subject aimed at
// the stream's API, at another screen or at a stream subject. Behind the
// account wall each answer lands in alice's own account.

/// How many messages the stream holds, as ops sees it.
async fn stored_count(ops: &Conn) -> u64 {
    let js = jetstream::new(ops.client.clone());
    let mut stream = js
        .get_stream(STREAM)
        .await
        .expect("the stream is still there");
    stream.info().await.expect("stream info").state.messages
}

impl Conn {
    /// Alice's pull from her own consumer `consumer`, answered on `reply`.
    async fn pull_to(&self, consumer: &str, reply: &str, request: &str) {
        self.client
            .publish_with_reply(
                format!("{AGENT_API}.CONSUMER.MSG.NEXT.{STREAM}.{consumer}"),
                reply.to_owned(),
                request.to_owned().into(),
            )
            .await
            .expect("pull sent");
    }

    /// A pull on her own inbox, answered once JetStream has handled every
    /// pull she sent before (it serves a consumer's pulls in order).
    async fn pull_barrier(&self, consumer: &str) {
        // Her inbox prefix is `_INBOX.<id>`, as the agent's.
        let inbox = self.client.new_inbox();
        let mut answers = self.client.subscribe(inbox.clone()).await.unwrap();
        self.pull_to(consumer, &inbox, r#"{"batch":1,"expires":1000000000}"#)
            .await;
        next_within(&mut answers, "the barrier pull's answer").await;
    }
}

/// Alice's allowed consumer on her session, created as her agent does.
async fn alice_consumer(alice: &Conn) {
    alice
        .js()
        .create_consumer_on_stream(consumer_config("alice", "session.alice"), STREAM)
        .await
        .expect("alice's own consumer");
}

/// The critical attack: alice's pull answered on the stream's delete and
/// purge API (and on bob's consumer's delete, and on the API under her own
/// prefix). The stream keeps every stored message of every session, bob's
/// consumer survives, and ops can still read bob's message.
#[tokio::test]
async fn a_pull_answered_on_the_stream_api_deletes_and_purges_nothing() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    for (subject, body) in [
        ("session.alice", "a1"),
        ("session.alice", "a2"),
        ("session.bob", "b1"),
        ("broadcast", "all"),
    ] {
        store(&ops, subject, body).await;
    }
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    bob.js()
        .create_consumer_on_stream(consumer_config("bob", "session.bob"), STREAM)
        .await
        .expect("bob's own consumer");
    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    alice_consumer(&alice).await;
    let replies = [
        format!("$JS.API.STREAM.DELETE.{STREAM}"),
        format!("$JS.API.STREAM.PURGE.{STREAM}"),
        format!("$JS.API.CONSUMER.DELETE.{STREAM}.bob"),
        format!("{AGENT_API}.STREAM.DELETE.{STREAM}"),
        format!("{AGENT_API}.CONSUMER.DELETE.{STREAM}.bob"),
    ];
    for reply in &replies {
        // The first two pulls deliver her stored messages there, the rest
        // a "no messages" status: both kinds of answer are tried.
        alice
            .pull_to("alice", reply, r#"{"batch":1,"no_wait":true}"#)
            .await;
    }
    alice.pull_barrier("alice").await;
    assert_eq!(stored_count(&ops).await, 4, "stored messages lost");
    assert_eq!(consumer_names(&ops).await, ["alice", "bob"]);
}

/// The high attacks: alice's pull answered on `session.bob`, `broadcast` and
/// `session.carol` (her stored message, then "no messages" and "request
/// timeout" statuses), and a loop of 500 pulls answered on `session.fill`.
/// Bob's real agent (json output, `--trust`-less) shows nothing but ops'
/// next message to him, a raw connection with carol's creds receives
/// nothing on her subjects before ops' message to her, and the stream
/// stores nothing new: carol's later catch-up is whole.
#[tokio::test]
async fn a_pull_answered_on_another_screen_or_stream_subject_reaches_nobody() {
    let identity = Identity::start();
    identity.setup_stream();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    store(&ops, "session.alice", "alice's own").await;
    let before = stored_count(&ops).await;
    let mut bob = identity.agent(&identity.agent_creds("bob", None), &["--output", "json"]);
    let carol_creds = identity.agent_creds("carol", None);
    let carol = agent(&identity, &carol_creds, "carol").await;
    let mut carol_session = carol.client.subscribe("session.carol").await.unwrap();
    let mut carol_broadcast = carol.client.subscribe("broadcast").await.unwrap();
    carol.sync().await;
    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    alice_consumer(&alice).await;

    for reply in ["session.bob", "broadcast", "session.carol"] {
        alice
            .pull_to("alice", reply, r#"{"batch":1,"no_wait":true}"#)
            .await;
        alice
            .pull_to("alice", reply, r#"{"batch":1,"expires":50000000}"#)
            .await;
    }
    alice.pull_barrier("alice").await;
    ops.client
        .publish("session.carol", "for carol".into())
        .await
        .unwrap();
    ops.client
        .publish("session.bob", "for bob".into())
        .await
        .unwrap();
    ops.sync().await;
    let first = next_within(&mut carol_session, "carol's subject").await;
    assert_eq!(
        &first.payload[..],
        b"for carol",
        "carol received alice's pull"
    );
    nothing_queued(&mut carol_broadcast, "carol on broadcast");
    assert_eq!(bob.next_text(), "for bob", "bob showed alice's pull");
    assert!(
        bob.events("message_refused").is_empty(),
        "bob was sent junk"
    );

    for _ in 0..500 {
        alice
            .pull_to("alice", "session.fill", r#"{"batch":1,"no_wait":true}"#)
            .await;
    }
    alice.pull_barrier("alice").await;
    // Only ops' two messages were added.
    assert_eq!(
        stored_count(&ops).await,
        before + 2,
        "the pulls stored something"
    );
}

/// Limits in every agent JWT: alice's creds past 64 subscriptions get the
/// server's "maximum subscriptions exceeded", and a message over 64 KiB
/// the server's payload error; bob, on the same server, still gets what
/// ops sends him.
#[tokio::test]
async fn an_agent_over_its_limits_is_stopped_and_the_others_are_not() {
    let identity = Identity::start();
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let bob = agent(&identity, &identity.agent_creds("bob", None), "bob").await;
    let mut bob_session = bob.client.subscribe("session.bob").await.unwrap();
    bob.sync().await;
    let creds = identity.agent_creds("alice", None);
    let mut alice = agent(&identity, &creds, "alice").await;
    let mut subs = Vec::new();
    for i in 0..70 {
        subs.push(
            alice
                .client
                .subscribe(format!("_INBOX.alice.many.{i}"))
                .await
                .unwrap(),
        );
    }
    alice.client.flush().await.unwrap();
    alice.server_error("maximum subscriptions exceeded").await;

    let mut big = agent(&identity, &creds, "alice").await;
    big.client
        .publish("receipt.t.alice", vec![b'x'; 65 * 1024].into())
        .await
        .ok();
    big.client.flush().await.ok();
    big.server_error("maximum payload").await;

    ops.client
        .publish("session.bob", "still here".into())
        .await
        .unwrap();
    ops.sync().await;
    let msg = next_within(&mut bob_session, "bob's subject").await;
    assert_eq!(&msg.payload[..], b"still here");
}

/// The session-list attacks with alice's own creds: she answers every
/// `sessions.ping` again every 100 ms, with a host that holds a newline, a
/// forged row and U+202E. Ops' `publisher sessions --timeout 500ms` still
/// returns in its normal time (well under 5 s, not the 30 s cap), lists
/// alice once, and shows her host escaped on her one row: no forged row.
#[tokio::test]
async fn an_agent_cannot_stretch_or_forge_the_session_list() {
    use remote_message::sessions::{entry_answer, SessionInfo};
    let identity = Identity::start();
    let alice = agent(&identity, &identity.agent_creds("alice", None), "alice").await;
    let mut pings = alice.client.subscribe("sessions.ping").await.unwrap();
    alice.sync().await;
    let ops_creds = identity.ops_creds();
    let url = identity.url();
    let started = std::time::Instant::now();
    let mut listing = tokio::task::spawn_blocking(move || {
        e2e::publisher(
            &url,
            &[
                "--creds",
                ops_creds.to_str().unwrap(),
                "sessions",
                "--timeout",
                "500ms",
            ],
        )
    });
    let ping = next_within(&mut pings, "the listing's ping").await;
    let info: SessionInfo = serde_json::from_value(serde_json::json!({
        "id": "alice", "user": "", "os": "o", "version": "0",
        "host": "pc-a\nbob         bob      pc-b\u{202e}",
        "since": "2026-12-01T00:00:00Z", "labels": {},
    }))
    .unwrap();
    let (subject, payload) = entry_answer(&ping.reply.unwrap(), &info).unwrap();
    let mut again = tokio::time::interval(Duration::from_millis(100));
    let out = loop {
        tokio::select! {
            done = &mut listing => break done.expect("the publisher's thread"),
            _ = again.tick() => {
                alice.client.publish(subject.clone(), payload.clone().into()).await.unwrap();
            }
        }
    };
    let elapsed = started.elapsed();
    let table = expect_exit(&out, 0);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("alice")).collect();
    assert_eq!(rows.len(), 1, "{table}");
    assert!(rows[0].contains(r"pc-a\nbob"), "{table}");
    assert!(!table.contains('\u{202e}'), "{table}");
    assert!(!table.lines().any(|l| l.starts_with("bob")), "{table}");
}

/// Behind the account wall a session's agents still see each other: a
/// second agent started with creds minted again for the same session (the
/// same derived account) refuses to start (exit 2, `session_taken`), and the
/// first keeps getting its messages.
#[test]
fn a_second_agent_of_a_session_behind_the_wall_exits_2() {
    let identity = Identity::start();
    let first_creds = identity.admin_dir().join("../alice-first.creds");
    std::fs::copy(identity.agent_creds("alice", None), &first_creds).unwrap();
    let mut first = identity.agent(&first_creds, &["--output", "json"]);
    let again = identity.agent_creds("alice", None);
    assert_ne!(
        jwt_claim(&again, "sub"),
        jwt_claim(&first_creds, "sub"),
        "a new user key"
    );
    assert_eq!(jwt_claim(&again, "iss"), jwt_claim(&first_creds, "iss"));
    let mut second = e2e::Agent::spawn(
        &identity.url(),
        &["--creds", again.to_str().unwrap(), "--output", "json"],
    );
    assert_eq!(second.wait_exit().code(), Some(2));
    assert_eq!(
        second.events("session_taken").len(),
        1,
        "{:?}",
        second.logs()
    );
    expect_exit(
        &identity.ops_publisher(&["send", "--session", "alice", "still mine"]),
        0,
    );
    assert_eq!(first.next_text(), "still mine");
}

/// The ledger behind the account wall. Alice's agent creds write the
/// ledger rows of her own session (`ledger.<send>.alice`), and they land in
/// the ledger stream in the ops account, where ops read them. They cannot
/// write a row for bob (answer or acknowledge for him), nor ops' send
/// records, nor read anyone's rows, nor reach the ledger stream's API
/// (read, consume, delete). A row she publishes with a reply subject
/// naming `broadcast` gets the stream's acknowledgement back in her own
/// account: bob's agent, subscribed to `broadcast`, sees only ops' next
/// broadcast.
#[tokio::test]
async fn agents_write_only_their_own_ledger_rows() {
    use remote_message::ledger::{self, LedgerEvent, Step};
    let identity = Identity::start();
    let alice_creds = identity.agent_creds("alice", None);
    let bob_creds = identity.agent_creds("bob", None);
    let ops = connect(&identity, &identity.ops_creds(), None).await;
    let js = jetstream::new(ops.client.clone());
    let mut stream = ledger::get_or_create(&js).await.expect("ledger stream");
    let mut alice = agent(&identity, &alice_creds, "alice").await;
    let bob = agent(&identity, &bob_creds, "bob").await;
    let mut bob_screen = bob.client.subscribe("broadcast").await.unwrap();
    bob.sync().await;

    let row = |session: &str| {
        let mut row = LedgerEvent::new(
            Step::Answered,
            format!("s1-{session}").into(),
            session.parse().unwrap(),
        );
        row.answer = Some("Yes".into());
        String::from_utf8(row.to_payload()).unwrap()
    };
    let mut watch = ops.client.subscribe("ledger.>").await.unwrap();
    ops.sync().await;
    alice
        .client
        .publish_with_reply("ledger.s1.alice", "broadcast", row("alice").into())
        .await
        .unwrap();
    alice.sync().await;
    // Ops see it live (what `send --wait` reads) and stored (`status`).
    let live = next_within(&mut watch, "ops' live view of the ledger").await;
    assert_eq!(live.subject.as_str(), "ledger.s1.alice");
    let stored = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(m) = stream
                .get_last_raw_message_by_subject("ledger.s1.alice")
                .await
            {
                return m;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("alice's row stored in time");
    assert_eq!(
        ledger::event_from(
            &remote_message::SendId::parse("s1").unwrap(),
            &stored.subject,
            &stored.payload
        )
        .map(|r| r.session.to_string()),
        Some("alice".to_owned())
    );

    alice.publish_refused("ledger.s1.bob", &row("bob")).await;
    alice.publish_refused("sends.s1.sent", "{}").await;
    alice.publish_refused("sends.s1.recalled", "{}").await;
    let mut tap = alice.subscribe_refused("ledger.>").await;
    for api in [
        "ops.JS.API.STREAM.INFO.REMOTE_MESSAGE_LEDGER",
        "ops.JS.API.STREAM.MSG.GET.REMOTE_MESSAGE_LEDGER",
        "ops.JS.API.STREAM.MSG.DELETE.REMOTE_MESSAGE_LEDGER",
        "ops.JS.API.CONSUMER.CREATE.REMOTE_MESSAGE_LEDGER.x.ledger.s1.bob",
        "$JS.API.STREAM.MSG.GET.REMOTE_MESSAGE_LEDGER",
    ] {
        alice.publish_refused(api, "{}").await;
    }

    // Ops' next broadcast is the first thing bob sees: the acknowledgement
    // alice aimed at `broadcast` stayed in her account.
    ops.client
        .publish("broadcast", "marker".into())
        .await
        .unwrap();
    let first = next_within(&mut bob_screen, "bob's broadcast").await;
    assert_eq!(&first.payload[..], b"marker");
    alice.sync().await;
    nothing_queued(&mut tap, "alice's ledger tap");

    let info = stream.info().await.expect("ledger info");
    assert_eq!(info.state.messages, 1, "only alice's own row is stored");
}
