//! The per-session identity mode, set up the way ops would: the real
//! `publisher admin init` writes keys and `nats-server.conf` into a temp dir
//! (its account resolver keeping its accounts there too), a real nats-server
//! runs that config on a free port, and agents' creds come from the real
//! `publisher admin agent-creds`, which pushes each session's account to it.

use crate::procs::{bin, expect_exit, finish_within, publisher, Agent, NO_USER_CONFIG};
use crate::server::NatsServer;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// An admin directory and the server started from its config.
pub struct Identity {
    pub server: NatsServer,
    dir: tempfile::TempDir,
}

impl Identity {
    /// `publisher admin init` into a fresh directory, then a server on it.
    pub fn start() -> Identity {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = admin(&[
            "init",
            "--out",
            path_str(&dir.path().join("admin")),
            "--resolver-dir",
            path_str(&dir.path().join("resolver")),
        ]);
        expect_exit(&out, 0);
        let server = NatsServer::start_with_config_file(dir.path().join("admin/nats-server.conf"));
        Identity { server, dir }
    }

    /// The directory `admin init` wrote.
    pub fn admin_dir(&self) -> PathBuf {
        self.dir.path().join("admin")
    }

    /// The ops creds `admin init` wrote.
    pub fn ops_creds(&self) -> PathBuf {
        self.admin_dir().join("ops.creds")
    }

    /// The server's URL (no credentials: they come from a creds file).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Mints agent creds for `session` (bound to `user`, or to none) with
    /// `publisher admin agent-creds`, its account pushed to this server;
    /// returns the file. Minting a session again replaces its file
    /// (`--force`).
    pub fn agent_creds(&self, session: &str, user: Option<&str>) -> PathBuf {
        let file = self.dir.path().join(format!("{session}.creds"));
        let dir = self.admin_dir();
        let url = self.url();
        let mut args = vec![
            "--server",
            &url,
            "agent-creds",
            "--dir",
            path_str(&dir),
            "--session",
            session,
            "--out",
            path_str(&file),
            "--force",
        ];
        if let Some(user) = user {
            args.extend(["--user", user]);
        }
        expect_exit(&admin(&args), 0);
        file
    }

    /// Mints agent creds for `session` with `agent-creds --no-push`: its
    /// account is kept in the admin directory, not sent to the server.
    pub fn unpushed_agent_creds(&self, session: &str) -> PathBuf {
        let file = self.dir.path().join(format!("{session}.unpushed.creds"));
        let dir = self.admin_dir();
        let args = [
            "agent-creds",
            "--dir",
            path_str(&dir),
            "--session",
            session,
            "--no-push",
            "--out",
            path_str(&file),
        ];
        expect_exit(&admin(&args), 0);
        file
    }

    /// A copy of `creds` whose user JWT claims `edit` changed (e.g. an
    /// `exp` in the past), signed again by `signer` as this set-up would
    /// sign it: the server judges it like any creds ops mint.
    pub fn edited_creds(
        &self,
        creds: &Path,
        signer: Signer,
        edit: impl FnOnce(&mut serde_json::Value),
    ) -> PathBuf {
        use publisher::admin::layout::{Key, Layout};
        let text = std::fs::read_to_string(creds).expect("read creds");
        let jwt = user_jwt(&text);
        let seed = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("SU"))
            .expect("a user seed");
        let header = jwt.split_once('.').expect("a JWT").0;
        let mut claims = jwt_claims(jwt);
        edit(&mut claims);
        let layout = Layout::new(&self.admin_dir());
        let key = match signer {
            Signer::Session(id) => publisher::admin::mint::session_account_key(
                &layout
                    .read_key(Key::SessionAccounts)
                    .expect("session secret"),
                id,
            )
            .expect("session account key"),
            Signer::Ops => layout.read_key(Key::OpsSigning).expect("ops signing key"),
        };
        let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = URL_SAFE_NO_PAD.encode(key.sign(signed.as_bytes()).expect("sign"));
        let file = self
            .dir
            .path()
            .join(format!("edited-{}", unique_creds_name()));
        let text = remote_message_cli::creds::format(&format!("{signed}.{signature}"), seed);
        std::fs::write(&file, text).expect("write creds");
        set_private(&file);
        file
    }

    /// Runs `publisher --creds <ops creds> <args>` against this server.
    pub fn ops_publisher(&self, args: &[&str]) -> Output {
        let creds = self.ops_creds();
        let mut all = vec!["--creds", path_str(&creds)];
        all.extend_from_slice(args);
        publisher(&self.url(), &all)
    }

    /// `publisher setup` as ops: the stream exists before agents start.
    pub fn setup_stream(&self) {
        expect_exit(&self.ops_publisher(&["setup"]), 0);
    }

    /// A real agent running with `creds` (its session and user come from
    /// them) plus `extra` options, once its subscriptions are confirmed.
    pub fn agent(&self, creds: &Path, extra: &[&str]) -> Agent {
        let mut args = vec!["--creds", path_str(creds)];
        args.extend_from_slice(extra);
        let mut agent = Agent::spawn(&self.url(), &args);
        agent.wait_subscribed();
        agent
    }
}

/// Who signs a user JWT of a set-up.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// The account of this session (an agent's creds).
    Session(&'a str),
    /// The ops role's scoped key (ops creds).
    Ops,
}

/// A name no other file of the test has.
fn unique_creds_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{}.creds", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Mode 0600, as creds are kept (the agent warns about others).
fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The claim `claim` (`sub`, `iss`, …) of the user JWT in the creds file
/// `creds`, as a string.
pub fn jwt_claim(creds: &Path, claim: &str) -> String {
    let text = std::fs::read_to_string(creds).expect("read creds");
    let claims = jwt_claims(user_jwt(&text));
    claims[claim]
        .as_str()
        .unwrap_or_else(|| panic!("no claim {claim} in {claims}"))
        .to_owned()
}

/// The user JWT of a creds file's text: the line after its BEGIN line.
fn user_jwt(creds: &str) -> &str {
    creds
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.contains("BEGIN NATS USER JWT"))
        .nth(1)
        .expect("a user JWT")
}

/// The claims of `jwt` (its middle part, base64url JSON).
fn jwt_claims(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let json = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&json).expect("JSON claims")
}

/// Runs `publisher admin <args>` (no server involved); bounded to 30 s.
pub fn admin(args: &[&str]) -> Output {
    admin_with_env(args, &[])
}

/// [`admin`] with extra environment variables.
pub fn admin_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = Command::new(bin("publisher"))
        .arg("admin")
        .args(args)
        .env("XDG_CONFIG_HOME", NO_USER_CONFIG)
        .env(crate::procs::SYSTEM_CONFIG_VAR, "")
        .env_remove("REMOTE_MESSAGE_ADMIN_DIR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn publisher admin");
    finish_within(
        child,
        Duration::from_secs(30),
        &format!("publisher admin {args:?}"),
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}
