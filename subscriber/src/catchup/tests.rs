//! One test per catch-up rule of docs/protocol.md ("Durable log"), played on
//! the pure machine with a hand-moved clock.

use super::*;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// No command at all.
const NOTHING: [Command; 0] = [];

/// A clock the test moves: both readings advance together.
struct Clock {
    t0: Instant,
    w0: Timestamp,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            t0: Instant::now(),
            w0: "2026-01-01T12:00:00Z".parse().unwrap(),
        }
    }

    /// The time `d` after the start.
    fn at(&self, d: Duration) -> Now {
        Now {
            at: self.t0 + d,
            wall: self.w0 + signed(d),
        }
    }

    fn wall(&self, d: Duration) -> Timestamp {
        self.at(d).wall
    }
}

fn replay(from: Timestamp) -> Command {
    Command::Replay { from }
}

/// An agent that ran before, reconnected at the start (its last message
/// shown then); its catch-up replay is under way.
fn reconnected(c: &Clock) -> CatchUp {
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let start = c.at(Duration::ZERO);
    m.on_live(start, start.wall, start.wall);
    m
}

/// [`reconnected`], and that first replay failed a second later.
fn failing_since_a_reconnect(c: &Clock) -> CatchUp {
    let mut m = reconnected(c);
    m.on_replay_done(c.at(SECOND), Outcome::Failed);
    m
}

fn found(newest: Timestamp) -> Outcome {
    Outcome::Replayed {
        newest: Some(newest),
    }
}

/// A session that never ran replays the whole window, once subscribed; the
/// next catch-up (a reconnect) starts before the last message it showed.
#[test]
fn a_brand_new_session_replays_the_whole_window() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, true);
    let now = c.at(HOUR);
    let from = now.wall - signed(DEFAULT_WINDOW);
    assert_eq!(
        m.on_live(now, now.wall, now.wall),
        [replay(from), Command::HoldLive]
    );
    m.on_replay_done(c.at(HOUR + SECOND), Outcome::Replayed { newest: None });
    let later = c.at(2 * HOUR);
    let last_seen = c.wall(HOUR + 30 * MINUTE);
    assert_eq!(
        m.on_live(later, later.wall, last_seen)[0],
        replay(last_seen - signed(REWIND))
    );
}

/// An agent that ran before starts 2 minutes before the last message it
/// showed.
#[test]
fn a_restarted_agent_replays_from_the_rewind_before_the_last_shown() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let now = c.at(5 * HOUR);
    let last_seen = c.wall(HOUR);
    assert_eq!(
        m.on_live(now, now.wall, last_seen),
        [replay(last_seen - signed(REWIND)), Command::HoldLive]
    );
}

/// A restart after longer than `--catch-up-window` reaches back only that far.
#[test]
fn a_restart_reaches_back_no_further_than_the_window() {
    let c = Clock::new();
    let mut m = CatchUp::new(2 * HOUR, false);
    let now = c.at(72 * HOUR);
    assert_eq!(
        m.on_live(now, now.wall, c.wall(Duration::ZERO))[0],
        replay(now.wall - signed(2 * HOUR))
    );
}

/// Live messages wait while the replay runs; its success shows the missed
/// ones, says everything before the live subscriptions was seen, ends the
/// owed catch-up, arms the follow-up replay for what is still on its way
/// into the stream, and lets live messages go on.
#[test]
fn a_successful_replay_shows_the_missed_ones_then_releases_live() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let live_since = c.wall(HOUR);
    let from = c.wall(30 * MINUTE) - signed(REWIND);
    m.on_live(c.at(HOUR), live_since, c.wall(30 * MINUTE));
    assert_eq!(m.owed_from(), Some(from));
    assert_eq!(
        m.on_replay_done(c.at(HOUR + SECOND), found(c.wall(50 * MINUTE))),
        [
            Command::Show {
                from,
                seen_until: live_since
            },
            Command::ArmTimer(c.at(HOUR + STORE_LAG_ALLOWANCE).at),
            Command::ReleaseLive
        ]
    );
    assert_eq!(m.owed_from(), None);
}

/// The reconnect storm's race: a message published while the agent was
/// away reaches the stream only after the first replay looked. The
/// reconnect counts as a drop, so a follow-up replay starts
/// STORE_LAG_ALLOWANCE after the subscriptions came back, from just before
/// the newest message found, and finds it; the one after that is not
/// needed (it started late enough).
#[test]
fn a_reconnect_brings_a_follow_up_replay_after_the_store_lag() {
    let c = Clock::new();
    let mut m = reconnected(&c);
    let newest = c.wall(Duration::ZERO);
    let done = m.on_replay_done(c.at(SECOND), found(newest));
    assert!(
        done.contains(&Command::ArmTimer(c.at(STORE_LAG_ALLOWANCE).at)),
        "{done:?}"
    );
    assert_eq!(m.on_timer(c.at(STORE_LAG_ALLOWANCE - SECOND)), NOTHING);
    let follow_up = m.on_timer(c.at(STORE_LAG_ALLOWANCE));
    assert_eq!(
        follow_up[0],
        replay(newest - signed(OVERLAP)),
        "{follow_up:?}"
    );
    let done = m.on_replay_done(c.at(STORE_LAG_ALLOWANCE + SECOND), found(newest));
    assert!(
        !done.iter().any(|c| matches!(c, Command::ArmTimer(_))),
        "{done:?}"
    );
    assert_eq!(m.owed_from(), None);
}

/// Failing replays are retried after 500 ms, doubling up to 5 s, each from
/// the same start; a timer that is not due yet does nothing.
#[test]
fn failing_replays_back_off_and_keep_their_start() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let from = c.wall(MINUTE) - signed(REWIND);
    let mut t = HOUR;
    m.on_live(c.at(t), c.wall(t), c.wall(MINUTE));
    let expected_ms = [500, 1000, 2000, 4000, 5000, 5000, 5000];
    for ms in expected_ms {
        let retry_in = Duration::from_millis(ms);
        let commands = m.on_replay_done(c.at(t), Outcome::Failed);
        assert_eq!(
            commands[..2],
            [
                Command::Retry {
                    retry_in,
                    live_meanwhile: false
                },
                Command::ArmTimer(c.at(t + retry_in).at)
            ]
        );
        assert_eq!(m.on_timer(c.at(t + retry_in / 2)), NOTHING);
        assert_eq!(m.owed_from(), Some(from));
        t += retry_in;
        assert_eq!(m.on_timer(c.at(t)), [replay(from)]);
    }
}

/// A reconnect while a catch-up is still owed does not move its start.
#[test]
fn a_reconnect_during_a_failing_catch_up_keeps_its_start() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let from = c.wall(MINUTE) - signed(REWIND);
    m.on_live(c.at(HOUR), c.wall(HOUR), c.wall(MINUTE));
    m.on_replay_done(c.at(HOUR), Outcome::Failed);
    let t = HOUR + 10 * SECOND;
    assert_eq!(m.on_live(c.at(t), c.wall(t), c.wall(t))[0], replay(from));
    // …and what it shows counts as seen only up to the new live start.
    assert_eq!(
        m.on_replay_done(c.at(t + SECOND), Outcome::Replayed { newest: None })[0],
        Command::Show {
            from,
            seen_until: c.wall(t)
        }
    );
}

/// Live messages are held while a catch-up is owed, and released at the
/// first step once it has been failing for HOLD_LIVE_LIMIT (each failure
/// from then on says so); the missed ones follow later.
#[test]
fn live_is_held_while_owed_until_failing_for_the_hold_limit() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let mut t = Duration::ZERO;
    assert!(m
        .on_live(c.at(t), c.wall(t), c.wall(t))
        .contains(&Command::HoldLive));
    // The first failure is at 0: every step is (when, commands).
    let mut steps = Vec::new();
    while t < HOLD_LIVE_LIMIT + 3 * RETRY_MAX {
        let failed = m.on_replay_done(c.at(t), Outcome::Failed);
        let Command::Retry {
            retry_in,
            live_meanwhile,
        } = failed[0]
        else {
            panic!("{failed:?}")
        };
        assert_eq!(live_meanwhile, t >= HOLD_LIVE_LIMIT, "at {t:?}");
        steps.push((t, failed));
        t += retry_in;
        steps.push((t, m.on_timer(c.at(t))));
    }
    let releases: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].1.contains(&Command::ReleaseLive))
        .collect();
    assert_eq!(releases.len(), 1, "{steps:?}");
    let i = releases[0];
    assert!(steps[i].0 >= HOLD_LIVE_LIMIT && steps[i - 1].0 < HOLD_LIVE_LIMIT);
    assert!(steps.iter().all(|(_, c)| !c.contains(&Command::HoldLive)));
    // Success while released: the missed ones are shown, nothing to release.
    let commands = m.on_replay_done(c.at(t), Outcome::Replayed { newest: None });
    assert!(
        matches!(commands[..], [Command::Show { .. }]),
        "{commands:?}"
    );
}

/// Dropped live messages are replayed from 2 minutes before the first drop,
/// however long the agent was busy since.
#[test]
fn drops_are_replayed_from_the_rewind_before_the_first_drop() {
    let c = Clock::new();
    let mut m = reconnected(&c);
    m.on_replay_done(c.at(SECOND), Outcome::Replayed { newest: None });
    let first_drop = c.wall(MINUTE);
    assert_eq!(
        m.on_drops(c.at(HOUR), first_drop),
        [replay(first_drop - signed(REWIND)), Command::HoldLive]
    );
}

/// Live messages dropped while a replay runs may be missing from what it
/// found: another replay, from just before the newest message found, starts
/// as soon as it succeeds, and live messages keep waiting.
#[test]
fn drops_during_a_replay_bring_another_replay_at_once() {
    let c = Clock::new();
    let mut m = reconnected(&c);
    assert_eq!(m.on_drops(c.at(SECOND), c.wall(SECOND)), NOTHING);
    let newest = c.wall(SECOND / 2);
    let commands = m.on_replay_done(c.at(20 * SECOND), found(newest));
    assert!(matches!(commands[0], Command::Show { .. }));
    assert_eq!(commands[1..], [replay(newest - signed(OVERLAP))]);
}

/// Drops while a catch-up keeps failing: the retries keep the owed start,
/// and the success is followed by another replay at once.
#[test]
fn drops_during_a_failing_catch_up_are_replayed_after_it() {
    let c = Clock::new();
    let from = c.wall(Duration::ZERO) - signed(REWIND);
    let mut m = reconnected(&c);
    m.on_replay_done(c.at(SECOND), Outcome::Failed);
    assert_eq!(m.on_drops(c.at(SECOND), c.wall(SECOND)), NOTHING);
    assert_eq!(m.on_timer(c.at(2 * SECOND)), [replay(from)]);
    let commands = m.on_replay_done(c.at(3 * SECOND), Outcome::Replayed { newest: None });
    assert_eq!(commands[1..], [replay(from)]);
}

/// The race that lost 395 of 10,000 on CI: messages are dropped, a replay
/// starts right after them and succeeds quickly, but the stream stored the
/// last dropped ones only after it looked. A follow-up replay must start
/// STORE_LAG_ALLOWANCE after the last drop, from just before the newest
/// message found; once one started that late has succeeded, no more follow.
#[test]
fn a_replay_soon_after_drops_is_followed_by_one_after_the_store_lag() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let drop_at = MINUTE;
    let first_replay = m.on_drops(c.at(drop_at), c.wall(drop_at));
    assert!(matches!(first_replay[0], Command::Replay { .. }));
    let newest = c.wall(drop_at - SECOND);
    let settled = c.at(drop_at + STORE_LAG_ALLOWANCE).at;
    assert_eq!(
        m.on_replay_done(c.at(drop_at + SECOND), found(newest))[1..],
        [Command::ArmTimer(settled), Command::ReleaseLive]
    );
    assert_eq!(m.owed_from(), None);
    assert_eq!(m.on_timer(c.at(drop_at + 2 * SECOND)), NOTHING);
    let follow_up = newest - signed(OVERLAP);
    assert_eq!(
        m.on_timer(c.at(drop_at + STORE_LAG_ALLOWANCE)),
        [replay(follow_up), Command::HoldLive]
    );
    let later = drop_at + STORE_LAG_ALLOWANCE + SECOND;
    assert_eq!(
        m.on_replay_done(c.at(later), found(c.wall(drop_at)))[1..],
        [Command::ReleaseLive]
    );
    assert_eq!(m.on_timer(c.at(later + MINUTE)), NOTHING);
}

/// The CI variant: showing what the first replay found took longer than the
/// allowance, so the follow-up is due at once and starts before the missed
/// messages are shown (live messages keep waiting).
#[test]
fn a_slow_first_replay_is_followed_at_once() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    let first_replay_start = c.wall(Duration::ZERO) - signed(REWIND);
    m.on_drops(c.at(Duration::ZERO), c.wall(Duration::ZERO));
    let commands = m.on_replay_done(c.at(13 * SECOND), Outcome::Replayed { newest: None });
    // Nothing found: it goes on from where the last one started.
    assert_eq!(commands[1..], [replay(first_replay_start)]);
}

/// A replay that started the allowance after the last drop found every
/// dropped message: no follow-up.
#[test]
fn a_replay_started_after_the_allowance_ends_the_follow_ups() {
    let c = Clock::new();
    let mut m = failing_since_a_reconnect(&c);
    // Dropped while waiting to retry; the retry starts after the allowance.
    m.on_drops(c.at(SECOND), c.wall(SECOND));
    let retry = SECOND + STORE_LAG_ALLOWANCE;
    m.on_timer(c.at(retry));
    let commands = m.on_replay_done(c.at(retry + SECOND), Outcome::Replayed { newest: None });
    // Drops came while owed: one more at once, and it started late enough.
    assert!(
        matches!(commands[1], Command::Replay { .. }),
        "{commands:?}"
    );
    let commands = m.on_replay_done(c.at(retry + 2 * SECOND), Outcome::Replayed { newest: None });
    assert!(matches!(
        commands[..],
        [Command::Show { .. }, Command::ReleaseLive]
    ));
}

/// New drops while waiting for the stream to settle are replayed at once,
/// and move the settling point; the older timer no longer does anything.
#[test]
fn drops_while_waiting_to_settle_replay_at_once() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    m.on_drops(c.at(Duration::ZERO), c.wall(Duration::ZERO));
    m.on_replay_done(c.at(SECOND), Outcome::Replayed { newest: None });
    let second_drop = 3 * SECOND;
    assert_eq!(
        m.on_drops(c.at(second_drop), c.wall(second_drop)),
        [
            replay(c.wall(second_drop) - signed(REWIND)),
            Command::HoldLive
        ]
    );
    assert_eq!(m.on_timer(c.at(STORE_LAG_ALLOWANCE)), NOTHING);
    let commands = m.on_replay_done(c.at(4 * SECOND), Outcome::Replayed { newest: None });
    assert_eq!(
        commands[1],
        Command::ArmTimer(c.at(second_drop + STORE_LAG_ALLOWANCE).at)
    );
}

/// Outcomes and timers that belong to no replay or wait are ignored.
#[test]
fn stale_outcomes_and_timers_do_nothing() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false);
    assert_eq!(m.on_timer(c.at(HOUR)), NOTHING);
    assert_eq!(m.on_replay_done(c.at(HOUR), Outcome::Failed), NOTHING);
    m.on_live(c.at(HOUR), c.wall(HOUR), c.wall(HOUR));
    assert_eq!(m.on_timer(c.at(2 * HOUR)), NOTHING);
}

/// Session ids spread a fleet evenly: 10,000 of them fall into each tenth
/// of the share range about as often (none under 8 % or over 12 %), the
/// same id always gets the same share, and two ids differ.
#[test]
fn session_ids_spread_a_fleet_evenly() {
    let share = |id: &str| CatchUp::new(DEFAULT_WINDOW, false).spread_by(id).spread;
    let mut tenths = [0usize; 10];
    for i in 0..10_000 {
        let s = share(&format!("storm-{i:05}"));
        assert!((0.0..1.0).contains(&s), "share {s}");
        tenths[(s * 10.0) as usize] += 1;
    }
    assert!(
        tenths.iter().all(|&n| (800..=1200).contains(&n)),
        "{tenths:?}"
    );
    assert_eq!(share("alice"), share("alice"));
    assert_ne!(share("alice"), share("bob"));
}

/// With a spread, the first connect replays at once, but a *re*connect
/// waits the agent's share of RECONNECT_SPREAD (live messages held
/// meanwhile) and then replays from the same start; retries are stretched
/// by the same share, and the follow-up comes that share of
/// FOLLOW_UP_SPREAD after the store lag.
#[test]
fn a_spread_agent_puts_off_its_reconnect_replay_retries_and_follow_up() {
    let c = Clock::new();
    let mut m = CatchUp::new(DEFAULT_WINDOW, false).spread_by("alice");
    let share = m.spread;
    assert!(share > 0.0);
    let start = c.at(Duration::ZERO);
    assert_eq!(
        m.on_live(start, start.wall, start.wall),
        [replay(start.wall - signed(REWIND)), Command::HoldLive]
    );
    m.on_replay_done(c.at(SECOND), Outcome::Replayed { newest: None });

    // The reconnect: nothing asked of JetStream before the timer.
    let back = c.at(MINUTE);
    let last_seen = c.wall(30 * SECOND);
    let wait = RECONNECT_SPREAD.mul_f64(share);
    let commands = m.on_live(back, back.wall, last_seen);
    assert!(!commands.iter().any(|c| matches!(c, Command::Replay { .. })));
    assert!(commands.contains(&Command::ArmTimer(back.at + wait)));
    assert!(m.holds_live);
    assert_eq!(m.on_timer(c.at(MINUTE + wait / 2)), NOTHING);
    let from = last_seen - signed(REWIND);
    assert_eq!(m.on_timer(c.at(MINUTE + wait)), [replay(from)]);

    // Its failure: the retry pause stretched by the share.
    let failed_at = MINUTE + wait + SECOND;
    let commands = m.on_replay_done(c.at(failed_at), Outcome::Failed);
    let retry_in = RETRY_FIRST + RETRY_FIRST.mul_f64(share);
    assert_eq!(
        commands[0],
        Command::Retry {
            retry_in,
            live_meanwhile: false
        }
    );
    let retried = failed_at + retry_in;
    assert_eq!(m.on_timer(c.at(retried)), [replay(from)]);

    // Its success: the follow-up after the store lag plus the share.
    let commands = m.on_replay_done(c.at(retried + SECOND), Outcome::Replayed { newest: None });
    let follow_up = back.at + STORE_LAG_ALLOWANCE + FOLLOW_UP_SPREAD.mul_f64(share);
    assert!(
        commands.contains(&Command::ArmTimer(follow_up)),
        "{commands:?}"
    );
}
