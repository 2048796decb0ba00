//! Catch-up: showing what the agent missed, as ONE state machine.
//!
//! Catch-up is the whole process; one fetch of stored messages from the
//! stream is a *replay* ([`replay`]). The rules (docs/protocol.md, "Durable
//! log") live here and only here:
//!
//! - after each (re)connect, once the subscriptions are confirmed, a replay
//!   starts: a brand-new session from the window start, one that ran before
//!   from [`REWIND`] before the last message it showed, never further back than
//!   `--catch-up-window`;
//! - a replay that fails is retried, from the same start, after a back-off
//!   ([`RETRY_FIRST`] doubling up to [`RETRY_MAX`]); a reconnect meanwhile
//!   keeps that start too: the start of an owed catch-up never moves forward;
//! - live messages wait while a catch-up is owed (missed ones come first), unless
//!   it has been failing for [`HOLD_LIVE_LIMIT`];
//! - live messages the client dropped are replayed from [`REWIND`] before the
//!   first drop; drops during a replay bring another one right after it; and
//!   since the stream's writes lag behind live delivery, follow-up replays
//!   (from [`OVERLAP`] before the newest message replayed) go on until one has
//!   started [`STORE_LAG_ALLOWANCE`] after the last drop. A (re)connect counts
//!   as a drop: what others published before the subscriptions were back may
//!   reach the stream after the first replay looked;
//! - agents that lose the broker together (a restart) come back together:
//!   so that they do not all ask JetStream at the same instant, each agent
//!   waits a share of [`RECONNECT_SPREAD`] before its replay after a
//!   *re*connect, stretches its retry pauses by up to 2× and its follow-ups
//!   by up to [`FOLLOW_UP_SPREAD`], its share fixed by its session id
//!   ([`CatchUp::spread_by`]).
//!
//! [`CatchUp`] is pure: no I/O, no clock. Every input carries the time
//! ([`Now`]) and every output is a [`Command`]; [`driver::Driver`] executes
//! them (starts replays, arms the timer, holds live messages).

pub mod driver;
pub mod replay;

use jiff::{SignedDuration, Timestamp};
use std::time::Duration;
use tokio::time::Instant;

/// How far before the last message shown a catch-up starts: clock skew
/// between this machine and the server up to this much loses nothing (what
/// is replayed twice is dropped by id).
pub const REWIND: Duration = Duration::from_secs(120);

/// How far before the newest message replayed a follow-up replay starts (in
/// the server's clock, which may step back a little when a cluster elects
/// another stream leader).
pub const OVERLAP: Duration = Duration::from_secs(2);

/// How far back a catch-up may reach when `--catch-up-window` is not given.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Pause after the first failed replay; it doubles with each failure.
pub const RETRY_FIRST: Duration = Duration::from_millis(500);

/// Longest pause between two attempts of a failing replay.
pub const RETRY_MAX: Duration = Duration::from_secs(5);

/// How long live messages wait for a failing catch-up before they are shown
/// anyway (out of order with the missed ones).
pub const HOLD_LIVE_LIMIT: Duration = Duration::from_secs(30);

/// How long after live messages were dropped they may still be on their way
/// into the stream (its writes lag behind live delivery under load): a replay
/// started this long after the last drop finds every dropped one.
pub const STORE_LAG_ALLOWANCE: Duration = Duration::from_secs(5);

/// Most an agent waits after a reconnect before its replay (see
/// [`CatchUp::spread_by`]).
pub const RECONNECT_SPREAD: Duration = Duration::from_secs(1);

/// Most an agent's follow-up replay is put off past [`STORE_LAG_ALLOWANCE`].
pub const FOLLOW_UP_SPREAD: Duration = Duration::from_secs(2);

/// The time of an input: monotonic for timers, wall clock where a stream
/// position is needed (the stream stamps messages with the server's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub at: Instant,
    pub wall: Timestamp,
}

impl Now {
    /// Both clocks now: the only place catch-up looks at a clock (called by
    /// the driver, never by the machine).
    pub fn current() -> Now {
        Now {
            at: Instant::now(),
            wall: Timestamp::now(),
        }
    }
}

/// What the machine asks its driver to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start a replay of what the stream stored from `from` on, replacing
    /// any replay under way.
    Replay { from: Timestamp },
    /// Call [`CatchUp::on_timer`] at this instant (replaces the timer armed
    /// before; a timer that is no longer due is ignored).
    ArmTimer(Instant),
    /// The replay that just ended, which covered from `from`, succeeded:
    /// show what it found. The agent has now seen everything up to
    /// `seen_until` (live messages cover what came after).
    Show {
        from: Timestamp,
        seen_until: Timestamp,
    },
    /// The replay failed; the next attempt is in `retry_in`.
    /// `live_meanwhile`: it has failed for [`HOLD_LIVE_LIMIT`], live
    /// messages are shown meanwhile.
    Retry {
        retry_in: Duration,
        live_meanwhile: bool,
    },
    /// Live messages wait (missed ones come first).
    HoldLive,
    /// Live messages go on.
    ReleaseLive,
}

/// How a replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded; `newest` is when the newest message it found was
    /// stored (`None`: it found none).
    Replayed {
        newest: Option<Timestamp>,
    },
    Failed,
}

/// The catch-up state machine: see the module documentation.
#[derive(Debug)]
pub struct CatchUp {
    phase: Phase,
    /// How far back a catch-up may reach.
    window: Duration,
    /// True until the first successful replay of a session that never ran.
    brand_new: bool,
    /// Where a follow-up replay goes on from, after a successful one.
    resume_from: Option<Timestamp>,
    /// When live messages were last dropped (or the subscriptions came back),
    /// until a replay started at least
    /// [`STORE_LAG_ALLOWANCE`] later has succeeded.
    last_drop: Option<Instant>,
    /// What the driver was last told: hold live messages or not.
    holds_live: bool,
    /// This agent's share of the spreads, in [0, 1).
    spread: f64,
    /// The subscriptions were live before: the next `on_live` is a reconnect.
    was_live: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing owed.
    Idle,
    /// A replay started at `started` is under way.
    Replaying { started: Instant, owed: Owed },
    /// The last replay failed; the next starts at `at`.
    RetryWaiting { at: Instant, owed: Owed },
    /// Nothing owed, but messages dropped live may not be stored yet: a
    /// follow-up replay starts at `at`.
    SettleWaiting { at: Instant },
}

/// A catch-up that has not succeeded yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owed {
    /// Where every attempt starts: it never moves forward until one succeeds.
    from: Timestamp,
    /// When the live subscriptions were confirmed (or the replay was asked
    /// for): after success, everything before was seen.
    live_since: Timestamp,
    failing: Option<Failing>,
    /// Live messages were dropped meanwhile: another replay follows at once.
    drops_during: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failing {
    since: Instant,
    failures: u32,
}

/// This agent's share between 0 and 1, fixed by `key` (the session id),
/// by which it spreads what a whole fleet would otherwise do at the same
/// instant (catch-ups after a broker restart, ledger rows after a
/// broadcast). FNV-1a, then splitmix64's finaliser so that ids differing
/// in their last character land far apart: stable across builds and
/// platforms, unlike std's hasher.
pub fn share_of(key: &str) -> f64 {
    let fnv = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut z = fnv;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

impl CatchUp {
    /// `brand_new`: the session never ran before (no state was found).
    pub fn new(window: Duration, brand_new: bool) -> CatchUp {
        CatchUp {
            phase: Phase::Idle,
            window,
            brand_new,
            resume_from: None,
            last_drop: None,
            holds_live: false,
            spread: 0.0,
            was_live: false,
        }
    }

    /// Spreads this agent's JetStream requests away from other agents'
    /// (see the module documentation) by a share taken from `key` (the
    /// session id): a fleet of sessions spreads evenly; without this call
    /// there is no spread.
    pub fn spread_by(mut self, key: &str) -> CatchUp {
        self.spread = share_of(key);
        self
    }

    /// `d` stretched by this agent's share: from `d` to `d + extra`.
    fn spread(&self, d: Duration, extra: Duration) -> Duration {
        d + extra.mul_f64(self.spread)
    }

    /// The live subscriptions were confirmed at `live_since`, after a
    /// (re)connect; the agent last showed a message (or was known live) at
    /// `last_seen`. A catch-up still owed keeps its start.
    pub fn on_live(
        &mut self,
        now: Now,
        live_since: Timestamp,
        last_seen: Timestamp,
    ) -> Vec<Command> {
        // Messages published while the subscriptions were not there yet
        // (a broker restart, a network cut) may reach the stream after this
        // replay looked: like dropped ones, they need a follow-up replay
        // STORE_LAG_ALLOWANCE later (the reconnect storm bench lost 16 of
        // 4,000 without it).
        self.last_drop = Some(now.at);
        let reconnect = std::mem::replace(&mut self.was_live, true);
        let owed = match self.phase {
            Phase::Replaying { owed, .. } | Phase::RetryWaiting { owed, .. } => {
                Owed { live_since, ..owed }
            }
            Phase::Idle | Phase::SettleWaiting { .. } => {
                let window_start = self.window_start(now);
                let from = if self.brand_new {
                    window_start
                } else {
                    (last_seen - signed(REWIND)).max(window_start)
                };
                Owed::new(from, live_since)
            }
        };
        let wait = self.spread(Duration::ZERO, RECONNECT_SPREAD);
        if reconnect && !wait.is_zero() && owed.failing.is_none() {
            // Put off like a retry (live messages wait meanwhile).
            let at = now.at + wait;
            self.phase = Phase::RetryWaiting { at, owed };
            let mut commands = vec![Command::ArmTimer(at)];
            commands.extend(self.hold_changes(now));
            return commands;
        }
        self.replay(now, owed)
    }

    /// The client dropped live messages, the first of them at `first_drop`
    /// (wall clock): replay from [`REWIND`] before it, however long ago that
    /// is; during a catch-up, right after it.
    pub fn on_drops(&mut self, now: Now, first_drop: Timestamp) -> Vec<Command> {
        self.last_drop = Some(now.at);
        match &mut self.phase {
            Phase::Replaying { owed, .. } | Phase::RetryWaiting { owed, .. } => {
                owed.drops_during = true;
                Vec::new()
            }
            Phase::Idle | Phase::SettleWaiting { .. } => {
                let from = (first_drop - signed(REWIND)).max(self.window_start(now));
                self.replay(now, Owed::new(from, now.wall))
            }
        }
    }

    /// The timer armed by [`Command::ArmTimer`] fired: retry a failed replay
    /// or start a follow-up one. Ignored when nothing is due.
    pub fn on_timer(&mut self, now: Now) -> Vec<Command> {
        match self.phase {
            Phase::RetryWaiting { at, owed } if at <= now.at => self.replay(now, owed),
            Phase::SettleWaiting { at } if at <= now.at => self.follow_up(now),
            _ => Vec::new(),
        }
    }

    /// The replay under way ended. Ignored when none is.
    pub fn on_replay_done(&mut self, now: Now, outcome: Outcome) -> Vec<Command> {
        let Phase::Replaying { started, owed } = self.phase else {
            return Vec::new();
        };
        match outcome {
            Outcome::Replayed { newest } => self.succeeded(now, started, owed, newest),
            Outcome::Failed => self.failed(now, owed),
        }
    }

    /// Where an owed catch-up starts: the position the agent saves must not
    /// pass it, so that a restart still replays it.
    pub fn owed_from(&self) -> Option<Timestamp> {
        match self.phase {
            Phase::Replaying { owed, .. } | Phase::RetryWaiting { owed, .. } => Some(owed.from),
            Phase::Idle | Phase::SettleWaiting { .. } => None,
        }
    }

    fn succeeded(
        &mut self,
        now: Now,
        started: Instant,
        owed: Owed,
        newest: Option<Timestamp>,
    ) -> Vec<Command> {
        self.brand_new = false;
        self.resume_from = Some(newest.map_or(owed.from, |n| n - signed(OVERLAP)));
        self.phase = Phase::Idle;
        let mut commands = vec![Command::Show {
            from: owed.from,
            seen_until: owed.live_since,
        }];
        let allowance = self.spread(STORE_LAG_ALLOWANCE, FOLLOW_UP_SPREAD);
        let follow_up = self.last_drop.and_then(|dropped| {
            follow_up_at(started, dropped + allowance, owed.drops_during, now.at)
        });
        match follow_up {
            // Due now: it starts before the missed messages are shown, so
            // that live messages keep waiting behind the dropped ones.
            Some(at) if at <= now.at => commands.extend(self.follow_up(now)),
            Some(at) => {
                self.phase = Phase::SettleWaiting { at };
                commands.push(Command::ArmTimer(at));
                commands.extend(self.hold_changes(now));
            }
            None => {
                self.last_drop = None;
                commands.extend(self.hold_changes(now));
            }
        }
        commands
    }

    fn failed(&mut self, now: Now, mut owed: Owed) -> Vec<Command> {
        let failing = owed.failing.get_or_insert(Failing {
            since: now.at,
            failures: 0,
        });
        failing.failures += 1;
        let pause = retry_delay(failing.failures);
        let retry_in = self.spread(pause, pause);
        let live_meanwhile = now.at >= failing.since + HOLD_LIVE_LIMIT;
        let at = now.at + retry_in;
        self.phase = Phase::RetryWaiting { at, owed };
        let mut commands = vec![
            Command::Retry {
                retry_in,
                live_meanwhile,
            },
            Command::ArmTimer(at),
        ];
        commands.extend(self.hold_changes(now));
        commands
    }

    /// A replay that goes on from the newest message the last one found.
    fn follow_up(&mut self, now: Now) -> Vec<Command> {
        let window_start = self.window_start(now);
        let from = self.resume_from.unwrap_or(window_start).max(window_start);
        self.replay(now, Owed::new(from, now.wall))
    }

    fn replay(&mut self, now: Now, owed: Owed) -> Vec<Command> {
        self.phase = Phase::Replaying {
            started: now.at,
            owed,
        };
        let mut commands = vec![Command::Replay { from: owed.from }];
        commands.extend(self.hold_changes(now));
        commands
    }

    /// Hold or release live messages, when that changed.
    fn hold_changes(&mut self, now: Now) -> Option<Command> {
        let hold = match self.phase {
            Phase::Replaying { owed, .. } | Phase::RetryWaiting { owed, .. } => owed
                .failing
                .is_none_or(|f| now.at < f.since + HOLD_LIVE_LIMIT),
            Phase::Idle | Phase::SettleWaiting { .. } => false,
        };
        if hold == self.holds_live {
            return None;
        }
        self.holds_live = hold;
        Some(if hold {
            Command::HoldLive
        } else {
            Command::ReleaseLive
        })
    }

    /// The oldest a replay may reach.
    fn window_start(&self, now: Now) -> Timestamp {
        now.wall - signed(self.window)
    }
}

impl Owed {
    fn new(from: Timestamp, live_since: Timestamp) -> Owed {
        Owed {
            from,
            live_since,
            failing: None,
            drops_during: false,
        }
    }
}

/// After a successful replay that started at `started`, with live messages
/// dropped until `settled` minus the store's lag (`drops_during`: some
/// while it ran): when to replay again, or `None` when every dropped message
/// has been found. Dropped messages may reach the stream after a replay
/// looked, so the last replay must start [`STORE_LAG_ALLOWANCE`] (or more)
/// after the last drop.
fn follow_up_at(
    started: Instant,
    settled: Instant,
    drops_during: bool,
    now: Instant,
) -> Option<Instant> {
    if drops_during {
        Some(now)
    } else if started < settled {
        Some(settled.max(now))
    } else {
        None
    }
}

/// The pause before attempt `failures + 1`.
fn retry_delay(failures: u32) -> Duration {
    RETRY_MAX.min(RETRY_FIRST * 2u32.pow(failures.saturating_sub(1).min(16)))
}

/// A std duration as a jiff one, for stream positions.
pub fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

#[cfg(test)]
mod tests;
