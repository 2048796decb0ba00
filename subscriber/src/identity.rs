//! Who the agent is, decided once, before it connects: its session id,
//! the user and labels the session list shows, the key sealed messages are
//! opened with, and the state directory that remembers them (locked for
//! this session). Credentials bound to a session (agent creds) fix its id
//! and user; else the state remembers the id, else `--session-id`, else a
//! new random one. Once connected, [`Identity::refuse_if_taken`] makes sure
//! no other live agent already is this session.

use crate::config::AgentConfig;
use crate::error::{Error, Kind};
use crate::state::{self, StateFile};
use async_nats::Client;
use futures::StreamExt;
use jiff::Timestamp;
use nkeys::XKey;
use remote_message::sessions::SessionInfo;
use remote_message::{subject, SessionId, UserName};
use remote_message_cli::identity;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// The agent's identity, decided once ([`Identity::decide`]).
pub struct Identity {
    /// This session as the session list shows it, with its sealing key.
    pub info: SessionInfo,
    /// Opens sealed messages; its public half is in `info`. Without a state
    /// dir it lasts as long as the process.
    pub seal_key: XKey,
    /// The state directory, locked for this session; `None` without one.
    pub state: Option<StateFile>,
    /// The session never ran before.
    pub brand_new: bool,
    /// The broadcast catch-up consumer's name: the session account's key
    /// behind the account wall, else the user's public key (`U…`).
    pub broadcast_consumer: Option<String>,
    /// Where the stream's API is: the ops account's, under the session
    /// account's local prefix, behind the account wall; else `--js-domain`'s.
    pub js_api: Option<&'static str>,
}

impl Identity {
    /// Reads the credentials' binding, opens the state, and says who the
    /// agent is (`listening`).
    pub fn decide(config: &AgentConfig) -> Result<Identity, Error> {
        // What the credentials bind wins over what the command line asks.
        let bound = bound_identity(config)?.unwrap_or_default();
        let asked_session = bound.session.or_else(|| config.session_id.clone());
        // The user the credentials bind (perhaps none), else --user-name,
        // else the OS login name.
        let user = bound
            .user
            .unwrap_or_else(|| config.user_name.clone().or_else(login_user));
        let state = open_state(config.state_dir.as_deref(), asked_session.clone())?;
        let session = match (&state, asked_session) {
            (Some(state), _) => state.session_id().clone(),
            (None, Some(id)) => id,
            (None, None) => SessionId::random(),
        };
        let mut info = session_info(session.clone(), user, config.labels.clone());
        let seal_key = match &state {
            Some(state) => state.seal_key(),
            None => XKey::new(),
        };
        info.xkey = remote_message::SealingKey::parse(&seal_key.public_key());
        info!(
            event = remote_message::Event::Listening.name(),
            session = %session,
            user = %UserName::shown(info.user.as_ref()),
            host = %info.host,
            "listening as session {session} (user {}, host {})",
            UserName::shown(info.user.as_ref()),
            info.host
        );
        let brand_new = state.as_ref().is_none_or(|state| state.fresh);
        Ok(Identity {
            info,
            seal_key,
            state,
            brand_new,
            broadcast_consumer: bound.broadcast_consumer,
            js_api: bound.js_api,
        })
    }

    pub fn session(&self) -> &SessionId {
        &self.info.id
    }

    /// Refuses to start when another live agent answers on this session's
    /// presence subject: it would silently share (or shadow) that session.
    /// Checked once the client is connected (within `connect_wait`); an agent
    /// started before the network is up cannot check and starts.
    pub async fn refuse_if_taken(
        &self,
        client: &Client,
        connect_wait: Duration,
    ) -> Result<(), Error> {
        let session = self.session();
        let deadline = Instant::now() + connect_wait;
        while client.connection_state() != async_nats::connection::State::Connected {
            if Instant::now() >= deadline {
                debug!("not connected yet: the check for another agent on {session} is skipped");
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Asked as ops asks: the answer (or the server's "no responders") comes
        // on presence.<token>.<id>, the one reply subject another agent of this
        // session may publish on.
        let reply = subject::presence_reply(&subject::new_token(), session);
        let answered = async {
            let mut answers = client.subscribe(reply.clone()).await?;
            client
                .publish_with_reply(
                    subject::presence_subject(session),
                    reply,
                    Default::default(),
                )
                .await?;
            let answer = tokio::time::timeout(PRESENCE_CHECK, answers.next()).await;
            Ok::<_, async_nats::Error>(matches!(answer, Ok(Some(m)) if m.status.is_none()))
        };
        match answered.await {
            Ok(true) => Err(Error::with_context(
                Kind::SessionTaken,
                format!(
                    "another agent is live as session {session}: stop it first, or start this one \
                     with another --session-id (or its own credentials)"
                ),
            )),
            Ok(false) => Ok(()),
            Err(e) => {
                debug!("the check for another agent on {session} failed: {e}");
                Ok(())
            }
        }
    }
}

/// The session `subscriber answer` and `subscriber read` act as, decided
/// as the agent decides it, without taking the state's lock (the agent
/// holds it): the session the credentials bind, else `--session-id`, else
/// the state directory's default session. `None` when none of them names
/// one (the agent never ran with this state directory).
pub fn session_of_running_agent(
    config: &AgentConfig,
    state_dir: &std::path::Path,
) -> Result<Option<SessionId>, Error> {
    let bound = bound_identity(config)?.unwrap_or_default();
    Ok(bound
        .session
        .or_else(|| config.session_id.clone())
        .or_else(|| state::default_session(state_dir)))
}

/// How long the check for another live agent on the same session id
/// waits for an answer.
const PRESENCE_CHECK: Duration = Duration::from_secs(1);

/// Who the agent's credentials file (if any) binds it to.
#[derive(Default)]
struct Bound {
    /// The session id (the JWT's name), when the credentials are an agent's.
    session: Option<SessionId>,
    /// The user name bound by the `user:` tag (`Some(None)` for `user:-`).
    user: Option<Option<UserName>>,
    /// The broadcast catch-up consumer's name: the session account's key
    /// behind the account wall, else the user's public key (`U…`).
    broadcast_consumer: Option<String>,
    /// The stream's API prefix behind the account wall.
    js_api: Option<&'static str>,
}

/// Reads the identity in `--creds`: an agent credential (a JWT `name` and
/// a `user:` tag) fixes the session id (a different `--session-id` is a
/// usage error) and the user name (a different `--user-name` is warned
/// about; the bound one wins). `None` without a credentials file.
fn bound_identity(config: &AgentConfig) -> Result<Option<Bound>, Error> {
    let Some(read) = config.connection.read_creds_identity() else {
        return Ok(None);
    };
    let identity = read
        .map_err(|e| Error::with_context(Kind::Settings, format!("--creds: {e}")).caused_by(e))?;
    let walled = identity.is_walled_agent();
    let broadcast_consumer = if walled {
        remote_message::AccountKey::parse(&identity.issuer).map(|key| key.to_string())
    } else {
        remote_message::UserKey::parse(&identity.user_key).map(|key| key.to_string())
    };
    let js_api = walled.then_some(remote_message::roles::AGENT_JS_API);
    if identity.has_user_tag && !walled {
        warn!(
            event = remote_message::Event::CredsWithoutAccountWall.name(),
            "--creds are agent creds of a set-up made before the account wall (one account \
             shared with the stream): ask ops for creds from a new `publisher admin init`"
        );
    }
    let (Some(name), true) = (identity.name.clone(), identity.has_user_tag) else {
        return Ok(Some(Bound {
            session: None,
            user: None,
            broadcast_consumer,
            js_api,
        }));
    };
    let session = SessionId::parse(&name).map_err(|e| {
        Error::with_context(
            Kind::Settings,
            format!(
                "--creds: the session id the credentials are bound to ({name:?}) is not valid: {e}"
            ),
        )
    })?;
    if let Some(asked) = config
        .session_id
        .as_ref()
        .filter(|asked| **asked != session)
    {
        return Err(Error::with_context(
            Kind::Settings,
            format!(
                "--session-id {asked} differs from the session the credentials are bound to \
                 ({session}): leave --session-id out, or use that session's credentials"
            ),
        ));
    }
    // `user:-`: no user bound (listed with user "").
    let user = identity.user;
    if let Some(asked) = config
        .user_name
        .as_ref()
        .filter(|asked| Some(*asked) != user.as_ref())
    {
        warn!(
            event = remote_message::Event::UserNameIgnored.name(),
            "--user-name {:?} ignored: the credentials bind this session to user {:?}",
            asked.as_str(),
            UserName::shown(user.as_ref())
        );
    }
    Ok(Some(Bound {
        session: Some(session),
        user: Some(user),
        broadcast_consumer,
        js_api,
    }))
}

/// The state directory, locked for this session; `None` without one.
fn open_state(
    dir: Option<&std::path::Path>,
    session: Option<SessionId>,
) -> Result<Option<StateFile>, Error> {
    let Some(dir) = dir else {
        warn!("no state directory (set --state-dir): a restarted agent will not catch up");
        return Ok(None);
    };
    StateFile::open(dir, session).map(Some).map_err(|e| {
        let kind = match e {
            state::StateError::InUse(..) => Kind::StateLocked,
            state::StateError::Io(..) => Kind::State,
        };
        Error::with_context(kind, e.to_string()).caused_by(e)
    })
}

/// This session as the session list shows it, for `user` (`None`: no user).
pub fn session_info(
    session: SessionId,
    user: Option<UserName>,
    labels: impl IntoIterator<Item = (String, String)>,
) -> SessionInfo {
    SessionInfo {
        id: session,
        user,
        host: identity::host_name(),
        os: identity::os_name(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        since: Timestamp::now(),
        labels: labels.into_iter().collect(),
        xkey: None,
    }
}

/// The OS login name as a user name (`None` when it breaks the rule).
pub fn login_user() -> Option<UserName> {
    UserName::parse(&identity::login_name()).ok()
}
