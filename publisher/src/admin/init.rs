//! `publisher admin init --out DIR`: a new operator, system account (and its
//! user, who pushes session accounts), the ops account `REMOTE_MESSAGE` with
//! the ops role's scoped signing key and the exports of the account wall,
//! the secret session accounts are derived from, the server's configuration
//! (a `full` account resolver, so session accounts can be added while it
//! runs) and a first ops creds file.
//!
//! Everything is made in memory first; the directory is touched only once
//! nothing can fail but the writes. An existing set-up is never overwritten
//! (its keys sign every creds file handed out).

use super::claims;
use super::layout::{cannot_write, Key, Layout};
use super::mint;
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use nkeys::KeyPair;
use remote_message::roles;
use remote_message_cli::files;
use std::collections::BTreeMap;
use std::path::Path;

/// Makes the set-up in `dir`; with `if_missing`, keeps a whole one there.
/// `resolver_dir`: where the server keeps pushed accounts.
pub fn run(dir: &Path, if_missing: bool, resolver_dir: &str) -> Result<(), Error> {
    let layout = Layout::open(Some(dir))?;
    let existing = layout.existing();
    if if_missing && layout.is_complete() {
        let dir = layout.dir().display().to_string();
        println!("{}", tr!(crate::i18n::lang(), "admin-kept", dir = dir));
        return Ok(());
    }
    if !existing.is_empty() {
        let list: Vec<_> = existing.iter().map(|p| p.display().to_string()).collect();
        return Err(ErrorKind::Usage.error(tr!(
            errors(),
            "admin-dir-taken",
            dir = layout.dir().display().to_string(),
            files = list.join(", ")
        )));
    }

    let keys: BTreeMap<_, _> = Key::ALL
        .iter()
        .map(|&key| (key.file_name(), (key, key.generate())))
        .collect();
    let pair = |key: Key| &keys[key.file_name()].1;
    let operator = pair(Key::Operator);
    let system = pair(Key::SystemAccount);
    let account = pair(Key::Account);
    let operator_jwt = claims::operator(operator, &system.public_key())?;
    let system_jwt = claims::system_account(operator, system)?;
    let account_jwt = claims::ops_account(operator, account, pair(Key::OpsSigning))?;
    let conf = server_conf(
        &operator_jwt,
        &[
            (system, &system_jwt, "SYS"),
            (account, &account_jwt, roles::ACCOUNT),
        ],
        resolver_dir,
    );
    let ops_creds = mint::ops_creds(pair(Key::OpsSigning), &account.public_key())?;
    let system_creds = mint::system_creds(system)?;

    let write_failed = |what: &Path, e: std::io::Error| cannot_write(ErrorKind::Failure, what, e);
    // Private (0700 on unix; see `files` for Windows); an existing, wider
    // directory is made private too, which needs no word here.
    files::create_private_dir(layout.dir()).map_err(|e| write_failed(layout.dir(), e))?;
    files::create_private_dir(&layout.keys_dir())
        .map_err(|e| write_failed(&layout.keys_dir(), e))?;
    for (key, pair) in keys.values() {
        let path = layout.key(*key);
        let seed = pair.seed().map_err(|e| {
            ErrorKind::Failure.error(tr!(errors(), "seed-encoding", cause = e.to_string()))
        })?;
        files::create_private(&path, format!("{seed}\n").as_bytes())
            .map_err(|e| write_failed(&path, e))?;
    }
    let conf_path = layout.server_conf();
    std::fs::write(&conf_path, conf).map_err(|e| write_failed(&conf_path, e))?;
    let creds_path = layout.ops_creds();
    files::create_private(&creds_path, ops_creds.as_bytes())
        .map_err(|e| write_failed(&creds_path, e))?;
    let system_path = layout.system_creds();
    files::create_private(&system_path, system_creds.as_bytes())
        .map_err(|e| write_failed(&system_path, e))?;

    println!(
        "Per-session identity set up in {dir}:\n\
         \n  {conf}\n      the server's configuration (operator and account JWTs, no secret):\n      \
         copy it to the NATS server and start nats-server -c with it.\n\
         \n  {keys}/\n      the operator, account and signing keys: NEVER let them leave this machine;\n      \
         whoever holds them can mint any identity.\n\
         \n  {ops}\n      ops creds (connect with --creds): keep them on the ops machine.\n\
         \n  {system}\n      the server's system account: admin agent-creds pushes each session's\n      \
         account with it. Keep it on the ops machine.\n\
         \nAgent creds, one per session, go to the user machines (the server must be running:\n\
         each session gets an account of its own, pushed to it):\n  \
         publisher --server URL admin agent-creds --dir {dir} --session ID [--user NAME] --out ID.creds",
        dir = layout.dir().display(),
        conf = conf_path.display(),
        keys = layout.keys_dir().display(),
        ops = creds_path.display(),
        system = system_path.display(),
    );
    Ok(())
}

/// The server's configuration: operator, system account, a `full` account
/// resolver keeping its JWTs in `resolver_dir` (session accounts are pushed
/// to it), the system and ops accounts preloaded, JetStream on.
fn server_conf(
    operator_jwt: &str,
    accounts: &[(&KeyPair, &str, &str)],
    resolver_dir: &str,
) -> String {
    let system = accounts[0].0.public_key();
    let mut preload = String::new();
    for (key, jwt, name) in accounts {
        preload.push_str(&format!("  # {name}\n  {}: {jwt}\n", key.public_key()));
    }
    format!(
        "# nats-server configuration for remote-message, per-session identity mode.\n\
         # Written by `publisher admin init`. It holds no secret: only the operator's and\n\
         # the accounts' JWTs, which are public and signed. Copy it to the server; the\n\
         # keys that signed it stay on the ops machine.\n\
         # Agents connect with creds from `publisher admin agent-creds`, ops with ops.creds.\n\
         # Each session has an account of its own: agent-creds pushes it to the resolver\n\
         # below, which keeps it in its directory (a relative one is taken from\n\
         # nats-server's working directory). For a lasting server, set jetstream's\n\
         # store_dir (messages kept for catch-up).\n\
         \n\
         port: 4222\n\
         \n\
         operator: {operator_jwt}\n\
         system_account: {system}\n\
         \n\
         resolver {{\n  type: full\n  dir: {dir}\n  allow_delete: false\n  interval: \"2m\"\n}}\n\
         resolver_preload: {{\n{preload}}}\n\
         \n\
         jetstream {{}}\n",
        dir = serde_json::to_string(resolver_dir).expect("a string serializes")
    )
}
