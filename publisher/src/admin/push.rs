//! Session accounts reach the server: each is kept in `DIR/accounts/<id>.jwt`
//! (public, signed by the operator) and pushed to the server's `full`
//! account resolver as the system account's user, the way `nsc push` does
//! (`$SYS.REQ.CLAIMS.UPDATE`). In a cluster, the resolvers pass it on to
//! each other. `admin push` sends every kept account again (a new server, a
//! lost resolver directory, creds minted with `--no-push`).

use super::layout::{cannot_write, Layout};
use crate::error::{Error, ErrorKind};
use crate::i18n::{errors, tr};
use crate::link::Link;
use remote_message_cli::connection::ConnectionArgs;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The resolver's update subject (system account only).
const CLAIMS_UPDATE: &str = "$SYS.REQ.CLAIMS.UPDATE";

/// How long one push waits for the resolver's answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// `publisher admin push`: every kept session account, again.
pub async fn run(connection: &ConnectionArgs, dir: Option<&Path>) -> Result<(), Error> {
    let layout = Layout::open(dir)?;
    let accounts = kept(&layout)?;
    push(connection, &layout, &accounts).await?;
    let pushed = tr!(
        crate::i18n::lang(),
        "admin-pushed",
        count = accounts.len(),
        servers = connection.display_servers()
    );
    println!("{pushed}");
    Ok(())
}

/// Keeps session `id`'s account JWT in the admin directory.
pub fn save(layout: &Layout, id: &str, jwt: &str) -> Result<(), Error> {
    let path = layout.session_account(id);
    std::fs::create_dir_all(layout.accounts_dir())
        .and_then(|()| std::fs::write(&path, format!("{jwt}\n")))
        .map_err(|e| cannot_write(ErrorKind::Failure, &path, e))
}

/// The kept session accounts: (session id, JWT), by id.
fn kept(layout: &Layout) -> Result<Vec<(String, String)>, Error> {
    let dir = layout.accounts_dir();
    let unreadable = |e: std::io::Error| {
        ErrorKind::Usage
            .error(tr!(
                errors(),
                "admin-accounts-unreadable",
                path = dir.display().to_string(),
                cause = e.to_string()
            ))
            .caused_by(e)
    };
    let mut accounts = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(accounts),
        Err(e) => return Err(unreadable(e)),
    };
    for entry in entries {
        let path = entry.map_err(unreadable)?.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".jwt"))
        else {
            continue;
        };
        let jwt = std::fs::read_to_string(&path).map_err(unreadable)?;
        accounts.push((id.to_owned(), jwt.trim().to_owned()));
    }
    accounts.sort();
    Ok(accounts)
}

/// Pushes each (session id, account JWT) to the server, as the system
/// account's user; the first refusal or silence stops with what to do.
pub async fn push(
    connection: &ConnectionArgs,
    layout: &Layout,
    accounts: &[(String, String)],
) -> Result<(), Error> {
    if accounts.is_empty() {
        return Ok(());
    }
    let mut system = connection.clone();
    system.creds = Some(layout.system_creds());
    let failed = |session: &str, cause: String| {
        ErrorKind::Server.error(tr!(
            errors(),
            "admin-push-failed",
            session = session.to_owned(),
            servers = connection.display_servers(),
            cause = cause,
            dir = layout.dir().display().to_string()
        ))
    };
    let link = Link::open(&system).await.map_err(|e| match e.kind() {
        // Local options nothing was tried with: not a failed push.
        ErrorKind::Usage => e,
        _ => failed(&accounts[0].0, e.to_string()),
    })?;
    for (session, jwt) in accounts {
        let answer = tokio::time::timeout(
            ANSWER_WAIT,
            link.client.request(CLAIMS_UPDATE, jwt.clone().into()),
        )
        .await
        .map_err(|_| failed(session, format!("no answer within {ANSWER_WAIT:?}")))?
        .map_err(|e| failed(session, e.to_string()))?;
        resolver_answer(&answer.payload).map_err(|cause| failed(session, cause))?;
    }
    Ok(())
}

/// Reads the resolver's answer: `{"data": {"code": 200, …}}` when stored,
/// `{"error": {"description": …}}` when refused.
fn resolver_answer(payload: &[u8]) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Answer {
        data: Option<Status>,
        error: Option<Status>,
    }
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        code: u16,
        #[serde(default)]
        description: String,
        #[serde(default)]
        message: String,
    }
    let answer: Answer = serde_json::from_slice(payload).map_err(|_| {
        format!(
            "the server's answer is not a resolver's: {:?} (does its config have the full resolver of admin init?)",
            String::from_utf8_lossy(payload)
        )
    })?;
    match (answer.error, answer.data) {
        (Some(error), _) => Err(format!("{} ({})", error.description, error.code)),
        (None, Some(data)) if data.code == 200 || data.code == 0 => Ok(()),
        (None, Some(data)) => Err(format!("{} ({})", data.message, data.code)),
        (None, None) => Err("an empty answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resolver's answers as nats-server writes them: stored, refused,
    /// and something that is not a resolver's answer at all.
    #[test]
    fn resolver_answers_are_read() {
        let stored =
            br#"{"server":{"name":"n"},"data":{"account":"A","code":200,"message":"jwt updated"}}"#;
        assert_eq!(resolver_answer(stored), Ok(()));
        let refused = br#"{"error":{"account":"A","code":500,"description":"not trusted"}}"#;
        assert_eq!(resolver_answer(refused), Err("not trusted (500)".into()));
        assert!(resolver_answer(b"+OK")
            .unwrap_err()
            .contains("full resolver"));
    }
}
