//! The per-session identity mode, set up the way ops would: the real
//! `publisher admin init` writes keys and `nats-server.conf` into a temp dir
//! (its account resolver keeping its accounts there too), a real nats-server
//! runs that config on a free port, and agents' creds come from the real
//! `publisher admin agent-creds`, which pushes each session's account to it.

use crate::procs::{bin, expect_exit, finish_within, publisher, Agent, NO_USER_CONFIG};
use crate::server::NatsServer;
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
