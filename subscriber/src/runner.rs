//! The agent process, runnable in-process: [`run`] starts even before the
//! network is up, keeps the subscriptions (and the entry in the session
//! list) across every reconnect, catches up on what was missed, shows each
//! message (on the chosen output, see [`crate::screen`]) and confirms it,
//! sends a read receipt when the user acknowledges one on the desktop, and
//! drains when the `shutdown` future resolves.
//!
//! It only orchestrates: who the agent is comes from [`crate::identity`],
//! the display from [`crate::screen`], the connection and its events from
//! [`crate::link`], what is shown and confirmed from [`crate::agent`], and
//! the catch-up from [`crate::catchup`].
//!
//! Every task it spawns is held by one tracker, cancelled by one token and
//! joined (with a bound) before it returns. Signals, the exit code and the
//! last-resort exit when stopping takes too long belong to `main`
//! ([`crate::main`]).
//!
//! stderr gets one record per state change (`event` names in
//! docs/notes: `listening`, `output`, `subscribed`, `disconnected`,
//! `stopping`, `stopped`, …), which operators and the tests wait on.

use crate::agent::{Agent, Next};
use crate::answers::Answers;
use crate::catchup::driver::Driver;
use crate::catchup::CatchUp;
use crate::clock::sleep_until;
use crate::config::AgentConfig;
use crate::delivery::Acted;
use crate::error::{Error, Kind};
use crate::identity::Identity;
use crate::lifecycle::RecordFile;
use crate::link::{self, CredsTold, Drops, Link};
use crate::screen::Screen;
use crate::signals::StopReason;
use async_nats::Client;
use remote_message::Target;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How long a drain on shutdown may take before the agent stops anyway.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// How long the agent's own tasks may take to end once cancelled.
const JOIN_LIMIT: Duration = Duration::from_millis(500);

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
        let due = agent.next_due();
        tokio::select! {
            // Live messages wait while a catch-up is owed, so that missed
            // ones are shown first, in order.
            next = agent.next_live(), if !catch_up.holds_live() => match next {
                None => break, // drained
                Some(Next::Show(delivery)) => {
                    agent.show(&mut screen, delivery).await.map_err(cannot_write)?;
                }
                Some(Next::Recall(send)) => agent.recall(&mut screen, send).await,
            },
            Some(acted) = acks.recv() => agent.on_user_action(&acted).await,
            () = sleep_until(due) => agent.on_due(&mut screen).await.map_err(cannot_write)?,
            Some(live_since) = live.recv(), if drain_deadline.is_none() => {
                catch_up.on_live(live_since, agent.last_seen());
            }
            first_drop = drops.next(), if drain_deadline.is_none() => {
                catch_up.on_drops(first_drop);
            }
            replayed = catch_up.next() => {
                agent.owe_catch_up_from(catch_up.owed_from());
                let missed = agent.take_replayed(replayed);
                agent.settle(&mut screen).await;
                for delivery in missed {
                    agent.show(&mut screen, delivery).await.map_err(cannot_write)?;
                }
            }
            why = &mut shutdown, if drain_deadline.is_none() => {
                // Rows still waiting for their moment go before the
                // connection closes.
                agent.flush_rows().await;
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
    acks: mpsc::UnboundedReceiver<Acted>,
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

/// Decides who the agent is, settles where messages go, connects, makes
/// sure no other agent holds the session, and subscribes.
async fn start(config: &AgentConfig, tasks: &TaskTracker) -> Result<Started, Error> {
    let identity = Identity::decide(config)?;
    // Where messages go is settled (and said) before any can arrive.
    // Messages the user acknowledged on the desktop, to confirm as read.
    let (acks_tx, acks) = mpsc::unbounded_channel();
    let screen = Screen::start(config, acks_tx, tasks).await?;

    let (events_tx, events) = mpsc::unbounded_channel();
    let creds_told = CredsTold::before_connecting(&config.connection);
    let client = link::connect(&config.connection, identity.session(), events_tx).await?;
    // Every subscription is queued before the link's events are taken, so
    // the round trip that follows the first Connected event confirms all.
    identity
        .refuse_if_taken(&client, config.connection.connect_timeout())
        .await?;
    let mut agent = Agent::start(client.clone(), &identity.info)
        .await
        .map_err(cannot_subscribe)?
        .with_seal_key(identity.seal_key)
        .with_broadcast_consumer(identity.broadcast_consumer)
        .with_trusted(config.trust.clone(), config.catch_up_window);
    if let Some(state) = identity.state {
        agent = agent.with_state(state);
    }
    if let Some(dir) = config.state_dir.as_deref() {
        agent = agent.with_record(RecordFile::new(dir, &identity.info.id));
    }
    let answers = Answers::subscribe(client.clone(), &identity.info)
        .await
        .map_err(cannot_subscribe)?;
    Ok(Started {
        personal: Target::Session(identity.info.id).subject(),
        client,
        agent,
        answers,
        screen,
        acks,
        events,
        brand_new: identity.brand_new,
        js_api: identity.js_api,
        creds_told,
    })
}

fn cannot_subscribe(e: async_nats::Error) -> Error {
    Error::with_context(Kind::Subscribe, format!("cannot subscribe: {e}")).caused_by(e)
}

/// Only a failing stdout stops the agent.
fn cannot_write(e: std::io::Error) -> Error {
    Error::with_context(
        Kind::Output,
        format!("cannot write to stdout ({e}): stopping"),
    )
    .caused_by(e)
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
    use crate::config::Output;
    use crate::state::StateFile;
    use remote_message_cli::connection::ConnectionArgs;
    use remote_message_cli::lang::Lang;

    /// A config that needs no server to start: terminal output, no state.
    fn config(server: &str) -> AgentConfig {
        AgentConfig {
            session_id: Some("alice".parse().unwrap()),
            user_name: remote_message::UserName::parse("tester").ok(),
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
            }
            .into(),
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
