//! The agent process, runnable in-process: [`run`] starts even before the
//! network is up, keeps the subscriptions (and the entry in the session
//! list) across every reconnect, catches up on what was missed, shows each
//! message (on the chosen output, see [`crate::screen`]) and confirms it,
//! sends a read receipt when the user acknowledges one on the desktop, and
//! drains when the `shutdown` future resolves.
//!
//! Every task it spawns is held by one tracker, cancelled by one token and
//! joined (with a bound) before it returns. Signals, the exit code and the
//! last-resort exit when stopping takes too long belong to `main`
//! ([`crate::main`]).
//!
//! stderr gets one record per state change (`event` names in
//! docs/notes: `listening`, `output`, `subscribed`, `disconnected`,
//! `stopping`, `stopped`, …), which operators and the tests wait on.

use crate::agent::{self, Agent, Delivery};
use crate::answers::Answers;
use crate::catchup::driver::Driver;
use crate::catchup::CatchUp;
use crate::cli::Output;
use crate::clock::sleep_until;
use crate::error::{Error, Kind};
use crate::exec::Hook;
use crate::link::{CredsTold, Drops, Link};
use crate::screen::Screen;
use crate::signals::StopReason;
use crate::state::{self, StateFile};
use async_nats::Client;
use futures::StreamExt;
use remote_message::{subject, SessionId, Target, UserName};
use remote_message_cli::connection::{ConnectionArgs, SetupErrorKind};
use remote_message_cli::lang::Lang;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How often the agent pings the server: a link that died while a laptop
/// slept is noticed within about twice this.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// How long a drain on shutdown may take before the agent stops anyway.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// How long the agent's own tasks may take to end once cancelled.
const JOIN_LIMIT: Duration = Duration::from_millis(500);

/// Messages that may wait per subscription while the agent is busy (e.g. its
/// stdout is blocked): memory stays bounded; past it the client drops them
/// and the agent replays them from the stream once it keeps up.
pub const LIVE_BUFFER: usize = 1024;

/// What the agent runs with: the command line, resolved, free of clap.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub session_id: Option<SessionId>,
    pub user_name: Option<remote_message::UserName>,
    pub labels: Vec<(String, String)>,
    /// Where the state lives; `None`: nowhere (a restart does not catch up).
    pub state_dir: Option<PathBuf>,
    pub catch_up_window: Duration,
    pub trust: Vec<remote_message::UserKey>,
    pub output: Output,
    /// The language of what the user reads (not of the logs).
    pub lang: Lang,
    pub exec: Option<PathBuf>,
    pub exec_timeout: Duration,
    pub connection: ConnectionArgs,
}

/// Runs the agent until `shutdown` resolves (then drains) or it fails.
pub async fn run(
    config: AgentConfig,
    shutdown: impl Future<Output = StopReason>,
) -> Result<(), Error> {
    let tasks = TaskTracker::new();
    let cancel = CancellationToken::new();
    let result = serve(config, shutdown, &tasks, &cancel).await;
    cancel.cancel();
    tasks.close();
    if tokio::time::timeout(JOIN_LIMIT, tasks.wait())
        .await
        .is_err()
    {
        debug!("{} task(s) did not end in time", tasks.len());
    }
    if result.is_ok() {
        info!(event = remote_message::Event::Stopped.name(), "stopped");
    }
    result
}

/// The agent from start to drained.
async fn serve(
    config: AgentConfig,
    shutdown: impl Future<Output = StopReason>,
    tasks: &TaskTracker,
    cancel: &CancellationToken,
) -> Result<(), Error> {
    let Started {
        personal,
        client,
        mut agent,
        answers,
        mut screen,
        mut acks,
        events,
        brand_new,
        js_api,
        creds_told,
    } = start(&config, tasks).await?;
    let mut catch_up = Driver::new(
        CatchUp::new(config.catch_up_window, brand_new).spread_by(agent.session().as_str()),
        agent.replays(|client| match js_api {
            Some(prefix) => async_nats::jetstream::with_prefix(client, prefix),
            None => config.connection.jetstream(client),
        }),
    );

    let (live_tx, mut live) = mpsc::unbounded_channel();
    let drops = Arc::new(Drops::default());
    let link = Link::new(
        client.clone(),
        config.connection.clone(),
        personal,
        live_tx,
        drops.clone(),
        tasks.clone(),
        cancel.clone(),
    )
    .with_creds_told(creds_told);
    tasks.spawn(link.run(events));
    let answering = cancel.clone();
    tasks.spawn(async move { answering.run_until_cancelled(answers.run()).await });

    let mut shutdown = pin!(shutdown);
    let mut drain_deadline = None;
    loop {
        agent.owe_catch_up_from(catch_up.owed_from());
        tokio::select! {
            // Live messages wait while a catch-up is owed, so that missed
            // ones are shown first, in order.
            delivery = agent.next(), if !catch_up.holds_live() => {
                let Some(delivery) = delivery else { break }; // drained
                show(&mut agent, &mut screen, delivery).await?;
            }
            Some(ticket) = acks.recv() => agent.send_read_receipt(&ticket).await,
            Some(live_since) = live.recv(), if drain_deadline.is_none() => {
                catch_up.on_live(live_since, agent.last_seen());
            }
            first_drop = drops.next(), if drain_deadline.is_none() => {
                catch_up.on_drops(first_drop);
            }
            replayed = catch_up.next() => {
                agent.owe_catch_up_from(catch_up.owed_from());
                for delivery in agent.take_replayed(replayed) {
                    show(&mut agent, &mut screen, delivery).await?;
                }
            }
            why = &mut shutdown, if drain_deadline.is_none() => {
                drain_deadline = Some(start_drain(&client, why).await);
            }
            () = sleep_until(drain_deadline) => {
                warn!(
                    event = remote_message::Event::DrainOverdue.name(),
                    "drain did not finish within {DRAIN_LIMIT:?}; exiting anyway"
                );
                break;
            }
        }
    }
    Ok(())
}

/// An agent set up and subscribed, its client connecting, before its
/// main loop.
struct Started {
    /// The session's own subject.
    personal: String,
    client: Client,
    agent: Agent,
    /// Presence and session-list answers, run in a task of their own.
    answers: Answers,
    screen: Screen,
    /// Messages the user acknowledged on the desktop.
    acks: mpsc::UnboundedReceiver<crate::agent::ReadTicket>,
    /// The client's connection events.
    events: mpsc::UnboundedReceiver<async_nats::Event>,
    /// The session never ran before.
    brand_new: bool,
    /// Where the stream's API is: the ops account's, under the session
    /// account's local prefix, behind the account wall; else `--js-domain`'s.
    js_api: Option<&'static str>,
    /// Why the creds will be refused, told before connecting.
    creds_told: CredsTold,
}

/// How long the check for another live agent on the same session id
/// waits for an answer.
const PRESENCE_CHECK: Duration = Duration::from_secs(1);

/// Opens the state, says who the agent is, settles where messages go,
/// connects, makes sure no other agent holds the session, and subscribes.
async fn start(config: &AgentConfig, tasks: &TaskTracker) -> Result<Started, Error> {
    let bound = bound_identity(config)?;
    let mut config = config.clone();
    let mut bound_user = None;
    if let Some(bound) = &bound {
        if let Some(id) = &bound.session {
            config.session_id = Some(id.clone());
        }
        bound_user = bound.user.clone();
    }
    let config = &config;
    let state = open_state(config)?;
    let session = match (&state, &config.session_id) {
        (Some(state), _) => state.session_id().clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => SessionId::random(),
    };
    let personal = Target::Session(session.clone()).subject();
    // The user the credentials bind (perhaps none), else --user-name, else
    // the OS login name.
    let user = bound_user.unwrap_or_else(|| config.user_name.clone().or_else(agent::login_user));
    let mut info = agent::session_info(session.clone(), user, config.labels.clone());
    // Without a state dir the key lasts as long as the process.
    let seal_key = match &state {
        Some(state) => state.seal_key(),
        None => nkeys::XKey::new(),
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

    // Where messages go is settled (and said) before any can arrive.
    let hook = match config.exec.as_deref() {
        Some(program) => Some(
            Hook::start(program, config.exec_timeout, tasks)
                .map_err(|e| Error::with_context(Kind::Exec, e.to_string()).caused_by(e))?,
        ),
        None => None,
    };
    // Messages the user acknowledged on the desktop, to confirm as read.
    let (acks_tx, acks) = mpsc::unbounded_channel();
    let screen = Screen::open(config.output, config.lang, hook, acks_tx, tasks).await?;

    let (events_tx, events) = mpsc::unbounded_channel();
    let creds_told = CredsTold::before_connecting(&config.connection);
    let client = connect(&config.connection, &session, events_tx).await?;
    // Every subscription is queued before the link's events are taken, so
    // the round trip that follows the first Connected event confirms all.
    let brand_new = state.as_ref().is_none_or(|state| state.fresh);
    refuse_if_taken(&client, &session, config.connection.connect_timeout()).await?;
    let mut agent = Agent::start(client.clone(), &info)
        .await
        .map_err(cannot_subscribe)?
        .with_seal_key(seal_key)
        .with_broadcast_consumer(bound.as_ref().and_then(|b| b.broadcast_consumer.clone()))
        .with_trusted(config.trust.clone(), config.catch_up_window);
    if let Some(state) = state {
        agent = agent.with_state(state);
    }
    let answers = Answers::subscribe(client.clone(), &info)
        .await
        .map_err(cannot_subscribe)?;
    Ok(Started {
        personal,
        client,
        agent,
        answers,
        screen,
        acks,
        events,
        brand_new,
        js_api: bound.and_then(|b| b.js_api),
        creds_told,
    })
}

fn cannot_subscribe(e: async_nats::Error) -> Error {
    Error::with_context(Kind::Subscribe, format!("cannot subscribe: {e}")).caused_by(e)
}

/// Who the agent's credentials file (if any) binds it to.
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
    let user = identity.user.and_then(|u| UserName::parse(u.as_str()).ok());
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

/// Refuses to start when another live agent answers on this session's
/// presence subject: it would silently share (or shadow) that session.
/// Checked once the client is connected (within `connect_wait`); an agent
/// started before the network is up cannot check and starts.
async fn refuse_if_taken(
    client: &Client,
    session: &SessionId,
    connect_wait: Duration,
) -> Result<(), Error> {
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

/// The state directory, locked for this session; `None` without one.
fn open_state(config: &AgentConfig) -> Result<Option<StateFile>, Error> {
    let Some(dir) = &config.state_dir else {
        warn!("no state directory (set --state-dir): a restarted agent will not catch up");
        return Ok(None);
    };
    StateFile::open(dir, config.session_id.clone())
        .map(Some)
        .map_err(|e| {
            let kind = match e {
                state::StateError::InUse(..) => Kind::StateLocked,
                state::StateError::Io(..) => Kind::State,
            };
            Error::with_context(kind, e.to_string()).caused_by(e)
        })
}

/// A client that connects (and reconnects) in the background for ever,
/// reporting its events to `events`: with `retry_on_initial_connect` this
/// returns at once, so an agent started before the network still comes up.
async fn connect(
    connection: &ConnectionArgs,
    session: &SessionId,
    events: mpsc::UnboundedSender<async_nats::Event>,
) -> Result<Client, Error> {
    let settings = |e: remote_message_cli::connection::SetupError| {
        Error::with_context(Kind::Settings, e.to_string()).caused_by(e)
    };
    let options = connection
        .options(&format!("subscriber {session}"))
        .await
        .map_err(|e| match e.kind() {
            // The login `--user` was most likely meant as the session's user.
            SetupErrorKind::UserWithoutPassword => {
                let hint =
                    format!("{e}. The user the session list shows is --user-name NAME, not --user");
                Error::with_context(Kind::Settings, hint).caused_by(e)
            }
            _ => settings(e),
        })?;
    let addrs = connection.server_addrs().map_err(settings)?;
    let inbox = remote_message::roles::agent_inbox(session);
    if let Some(prefix) = &connection.inbox_prefix {
        warn!(
            event = remote_message::Event::InboxPrefixIgnored.name(),
            "inbox prefix {prefix:?} (--inbox-prefix or the nats context) is not used: the agent's \
             inbox is always {inbox}, the one the broker's per-session rules allow"
        );
    }
    options
        // Its own inbox prefix: where the broker enforces identity, only
        // this session may subscribe (and publish) there.
        .custom_inbox_prefix(inbox)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .ping_interval(PING_INTERVAL)
        .subscription_capacity(LIVE_BUFFER)
        .event_callback(move |event| {
            let events = events.clone();
            async move {
                let _ = events.send(event);
            }
        })
        .connect(addrs)
        .await
        .map_err(|e| {
            Error::with_context(Kind::Server, connection.describe_connect_error(&e)).caused_by(e)
        })
}

/// Shows one message and confirms it; only a failing stdout stops the agent.
/// It is recorded as shown first: a crash in between loses that message
/// rather than showing it twice after a restart.
async fn show(agent: &mut Agent, screen: &mut Screen, delivery: Delivery) -> Result<(), Error> {
    agent.mark_shown(&delivery);
    let displayed = screen.show(&delivery).await.map_err(|e| {
        Error::with_context(
            Kind::Output,
            format!("cannot write to stdout ({e}): stopping"),
        )
        .caused_by(e)
    })?;
    agent.send_delivered(&delivery, displayed).await;
    Ok(())
}

/// Stops taking messages; those already received are still shown, until
/// the returned deadline.
async fn start_drain(client: &Client, why: StopReason) -> Instant {
    info!(
        event = remote_message::Event::Stopping.name(),
        signal = why.name(),
        "{why}: draining and stopping"
    );
    if let Err(e) = client.drain().await {
        debug!("drain: {e}");
    }
    Instant::now() + DRAIN_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config that needs no server to start: terminal output, no state.
    fn config(server: &str) -> AgentConfig {
        AgentConfig {
            session_id: Some("alice".parse().unwrap()),
            user_name: UserName::parse("tester").ok(),
            labels: Vec::new(),
            state_dir: None,
            catch_up_window: crate::catchup::DEFAULT_WINDOW,
            trust: Vec::new(),
            output: Output::Json,
            lang: Lang::En,
            exec: None,
            exec_timeout: Duration::from_secs(1),
            connection: ConnectionArgs {
                server: server.into(),
                ..ConnectionArgs::default()
            },
        }
    }

    /// Runs the agent in-process until `shutdown` resolves or it fails,
    /// bounded: a `run` that never returns fails the test.
    async fn run_until(
        config: AgentConfig,
        shutdown: impl Future<Output = StopReason>,
    ) -> Result<(), Error> {
        tokio::time::timeout(Duration::from_secs(20), run(config, shutdown))
            .await
            .expect("run returned")
    }

    /// `--exec` naming no program stops the agent before it connects, as a
    /// usage error.
    #[tokio::test]
    async fn a_missing_exec_program_is_an_exec_error() {
        let mut config = config("nats://127.0.0.1:1");
        config.exec = Some("/nonexistent/on-message".into());
        let e = run_until(config, std::future::pending()).await.unwrap_err();
        assert_eq!(e.kind(), Kind::Exec);
        assert_eq!(e.kind().exit_code(), 2);
    }

    /// A second agent on a session whose state another one holds stops at
    /// once with `state_locked`.
    #[tokio::test]
    async fn a_session_in_use_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _held = StateFile::open(dir.path(), Some("alice".parse().unwrap())).unwrap();
        let mut config = config("nats://127.0.0.1:1");
        config.state_dir = Some(dir.path().to_owned());
        let e = run_until(config, std::future::pending()).await.unwrap_err();
        assert_eq!(e.kind(), Kind::StateLocked);
        assert_eq!(e.kind().event(), remote_message::Event::StateLocked);
    }

    /// An empty server list is a settings error (exit 2), found before any
    /// connection attempt.
    #[tokio::test]
    async fn an_empty_server_list_is_a_settings_error() {
        let e = run_until(config(" , "), std::future::pending())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::Settings);
    }

    /// Driven in-process against a server that never answers: once the
    /// shutdown future resolves, `run` drains, joins its tasks and returns
    /// (within `run_until`'s bound), with no error.
    #[tokio::test]
    async fn run_returns_once_shutdown_resolves() {
        let shutdown = std::future::ready(StopReason::Requested);
        run_until(config("nats://127.0.0.1:1"), shutdown)
            .await
            .unwrap();
    }
}
