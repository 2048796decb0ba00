//! Runs the catch-up machine: takes the time, starts the replays it asks
//! for (through a [`ReplaySource`], so tests can fake the stream), keeps its
//! one timer on `tokio::time` (so tests can pause time), and logs what an
//! operator needs to know. What replays find is handed to the caller.

use super::replay::{ReplayError, ReplaySource, Stored};
use super::{CatchUp, Command, Now, Outcome};
use crate::clock::sleep_until;
use futures::future::BoxFuture;
use jiff::Timestamp;
use tokio::time::Instant;
use tracing::warn;

/// What a successful replay found, to show.
#[derive(Debug)]
pub struct Replayed {
    /// Oldest first.
    pub stored: Vec<Stored>,
    /// Where the replay started.
    pub from: Timestamp,
    /// The agent has seen everything up to here (live messages cover the rest).
    pub seen_until: Timestamp,
}

/// The machine and what executes its commands.
pub struct Driver<S> {
    machine: CatchUp,
    source: S,
    running: Option<BoxFuture<'static, Result<Vec<Stored>, ReplayError>>>,
    timer: Option<Instant>,
    holds_live: bool,
    warned_no_jetstream: bool,
}

/// What woke the driver.
enum Woke {
    Replay(Result<Vec<Stored>, ReplayError>),
    Timer,
}

impl<S: ReplaySource> Driver<S> {
    pub fn new(machine: CatchUp, source: S) -> Driver<S> {
        Driver {
            machine,
            source,
            running: None,
            timer: None,
            holds_live: false,
            warned_no_jetstream: false,
        }
    }

    /// The live subscriptions were confirmed at `live_since`; the agent last
    /// showed a message (or was known live) at `last_seen`.
    pub fn on_live(&mut self, live_since: Timestamp, last_seen: Timestamp) {
        let commands = self.machine.on_live(Now::current(), live_since, last_seen);
        self.execute(commands, None);
    }

    /// The client dropped live messages, the first of them at `first_drop`.
    pub fn on_drops(&mut self, first_drop: Timestamp) {
        let commands = self.machine.on_drops(Now::current(), first_drop);
        self.execute(commands, None);
    }

    /// Should live messages wait (missed ones come first)?
    pub fn holds_live(&self) -> bool {
        self.holds_live
    }

    /// Where an owed catch-up starts (see [`CatchUp::owed_from`]).
    pub fn owed_from(&self) -> Option<Timestamp> {
        self.machine.owed_from()
    }

    /// Waits until a replay succeeds (retrying failed ones, starting
    /// follow-ups as the machine says) and returns what it found. Pending
    /// forever while nothing is owed. Cancel-safe: a replay under way is kept
    /// when this future is dropped.
    pub async fn next(&mut self) -> Replayed {
        loop {
            let woke = {
                let running = &mut self.running;
                let timer = self.timer;
                tokio::select! {
                    result = async {
                        match running {
                            Some(replay) => replay.await,
                            None => std::future::pending().await,
                        }
                    } => Woke::Replay(result),
                    () = sleep_until(timer) => Woke::Timer,
                }
            };
            match woke {
                Woke::Timer => {
                    self.timer = None;
                    let commands = self.machine.on_timer(Now::current());
                    self.execute(commands, None);
                }
                Woke::Replay(result) => {
                    self.running = None;
                    let (outcome, stored, error) = match result {
                        Ok(stored) => (replayed(&stored), stored, None),
                        Err(ReplayError::NoJetStream) => {
                            self.warn_no_jetstream();
                            (Outcome::Replayed { newest: None }, Vec::new(), None)
                        }
                        Err(e) => (Outcome::Failed, Vec::new(), Some(e)),
                    };
                    let commands = self.machine.on_replay_done(Now::current(), outcome);
                    if let Some((from, seen_until)) = self.execute(commands, error.as_ref()) {
                        return Replayed {
                            stored,
                            from,
                            seen_until,
                        };
                    }
                }
            }
        }
    }

    /// Carries out the machine's commands; returns the `Show` among them.
    fn execute(
        &mut self,
        commands: Vec<Command>,
        error: Option<&ReplayError>,
    ) -> Option<(Timestamp, Timestamp)> {
        let mut show = None;
        for command in commands {
            match command {
                Command::Replay { from } => self.running = Some(self.source.replay(from)),
                Command::ArmTimer(at) => self.timer = Some(at),
                Command::Show { from, seen_until } => show = Some((from, seen_until)),
                Command::Retry {
                    retry_in,
                    live_meanwhile,
                } => {
                    let e = error.map_or_else(String::new, ToString::to_string);
                    warn!(
                        event = remote_message::Event::CatchUpFailed.name(),
                        retry_in_ms = retry_in.as_millis() as u64,
                        "catch-up failed ({e}); retrying in {retry_in:?}"
                    );
                    if live_meanwhile {
                        warn!(
                            event = remote_message::Event::LiveBeforeMissed.name(),
                            "catch-up keeps failing: showing live messages meanwhile; missed \
                             ones follow"
                        );
                    }
                }
                Command::HoldLive => self.holds_live = true,
                Command::ReleaseLive => self.holds_live = false,
            }
        }
        show
    }

    fn warn_no_jetstream(&mut self) {
        if !self.warned_no_jetstream {
            self.warned_no_jetstream = true;
            warn!(
                event = remote_message::Event::NoJetstream.name(),
                "this NATS server has no JetStream: messages sent while this agent is offline \
                 cannot be caught up"
            );
        }
    }
}

/// A successful outcome, with when the newest message found was stored.
fn replayed(stored: &[Stored]) -> Outcome {
    Outcome::Replayed {
        newest: stored.iter().map(|s| s.stored_at).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catchup::{
        signed, DEFAULT_WINDOW, OVERLAP, RETRY_FIRST, REWIND, STORE_LAG_ALLOWANCE,
    };
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A scripted answer: the times the messages found were stored, or why
    /// the replay failed.
    type Answer = Result<Vec<Timestamp>, &'static str>;

    /// A stream that answers each replay with the next scripted result,
    /// after `took`, and records when each replay started and from where.
    #[derive(Clone, Default)]
    struct FakeStream {
        script: Arc<Mutex<VecDeque<Answer>>>,
        started: Arc<Mutex<Vec<(Instant, Timestamp)>>>,
        took: Duration,
    }

    impl FakeStream {
        fn answers(self, answers: impl IntoIterator<Item = Answer>) -> Self {
            self.script.lock().unwrap().extend(answers);
            self
        }

        fn started(&self) -> Vec<(Instant, Timestamp)> {
            self.started.lock().unwrap().clone()
        }
    }

    impl ReplaySource for FakeStream {
        fn replay(&self, from: Timestamp) -> BoxFuture<'static, Result<Vec<Stored>, ReplayError>> {
            self.started.lock().unwrap().push((Instant::now(), from));
            let answer = self.script.lock().unwrap().pop_front();
            let took = self.took;
            Box::pin(async move {
                tokio::time::sleep(took).await;
                match answer {
                    Some(Ok(times)) => Ok(times.into_iter().enumerate().map(stored).collect()),
                    Some(Err(why)) => Err(ReplayError::Request(why.into())),
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn stored((sequence, stored_at): (usize, Timestamp)) -> Stored {
        Stored {
            sequence: sequence as u64,
            stored_at,
            message: async_nats::Message {
                subject: "broadcast".into(),
                reply: None,
                payload: "hello".into(),
                headers: None,
                status: None,
                description: None,
                length: 5,
            },
        }
    }

    /// Failing replays are retried on tokio's clock, 500 ms then doubling,
    /// from the same start, holding live messages all along; the success
    /// hands over what was found and releases them.
    #[tokio::test(start_paused = true)]
    async fn failed_replays_are_retried_on_the_timer() {
        let stream = FakeStream::default().answers([
            Err("leader election"),
            Err("leader election"),
            Err("leader election"),
            Ok(vec![Timestamp::now()]),
        ]);
        let mut driver = Driver::new(CatchUp::new(DEFAULT_WINDOW, false), stream.clone());
        let t0 = Instant::now();
        let last_seen = Timestamp::now();
        driver.on_live(Timestamp::now(), last_seen);
        assert!(driver.holds_live());
        let replayed = tokio::time::timeout(Duration::from_secs(60), driver.next())
            .await
            .expect("the fourth replay succeeds");
        assert_eq!(replayed.stored.len(), 1);
        assert!(!driver.holds_live());
        let started = stream.started();
        let offsets: Vec<Duration> = started.iter().map(|(at, _)| *at - t0).collect();
        let ms = Duration::from_millis;
        assert_eq!(offsets, [ms(0), RETRY_FIRST, ms(1500), ms(3500)]);
        let from = last_seen - signed(REWIND);
        assert!(started.iter().all(|(_, f)| *f == from), "{started:?}");
        assert_eq!(replayed.from, from);
    }

    /// The race that lost 395 of 10,000: after drops, the first replay
    /// succeeds at once; the driver's timer starts a follow-up replay
    /// STORE_LAG_ALLOWANCE after the drop, from just before the newest
    /// message found, and stops there.
    #[tokio::test(start_paused = true)]
    async fn a_follow_up_replay_runs_after_the_store_lag() {
        let newest = Timestamp::now();
        let stream = FakeStream {
            took: Duration::from_millis(100),
            ..FakeStream::default()
        }
        .answers([Ok(vec![newest]), Ok(vec![])]);
        let mut driver = Driver::new(CatchUp::new(DEFAULT_WINDOW, false), stream.clone());
        let t0 = Instant::now();
        driver.on_drops(Timestamp::now());
        let first = driver.next().await;
        assert_eq!(first.stored.len(), 1);
        assert!(
            !driver.holds_live(),
            "live goes on while the stream settles"
        );
        let second = tokio::time::timeout(Duration::from_secs(60), driver.next())
            .await
            .expect("a follow-up replay");
        assert!(second.stored.is_empty());
        let started = stream.started();
        assert_eq!(started.len(), 2);
        assert_eq!(started[1].0 - t0, STORE_LAG_ALLOWANCE);
        assert_eq!(started[1].1, newest - signed(OVERLAP));
        // Started late enough: nothing more.
        assert!(
            tokio::time::timeout(Duration::from_secs(600), driver.next())
                .await
                .is_err()
        );
        assert_eq!(stream.started().len(), 2);
    }
}
