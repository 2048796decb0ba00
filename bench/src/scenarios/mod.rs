//! The figures the issue asks for, one module each. Every scenario measures
//! raw and ours in the same run, alternating (raw first on even repetitions,
//! ours first on odd ones), and summarises both the same way.

pub mod cluster;
pub mod fanout;
pub mod idle;
pub mod listing;
pub mod oneshot;
pub mod rtt;
pub mod scale;
pub mod status;
pub mod storm;
pub mod throughput;
pub mod wait;

use crate::fleet::Fleet;
use crate::ours::Publisher;
use async_nats::Client;
use std::time::Duration;

/// Size of the text of every figure except throughput: a typical message.
pub const TEXT_BYTES: usize = 256;

/// Which code is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Plain async-nats, same payload size, same connections.
    Raw,
    /// The project's code.
    Ours,
}

impl Side {
    pub fn index(self) -> usize {
        match self {
            Side::Raw => 0,
            Side::Ours => 1,
        }
    }
}

/// Both sides, in the order repetition `rep` runs them.
pub fn order(rep: usize) -> [Side; 2] {
    if rep.is_multiple_of(2) {
        [Side::Raw, Side::Ours]
    } else {
        [Side::Ours, Side::Raw]
    }
}

/// How much of each scenario to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    /// Session counts, ascending.
    pub sessions: Vec<usize>,
    pub fanout_rounds: usize,
    /// (text bytes, messages per run).
    pub throughput: Vec<(usize, usize)>,
    pub throughput_reps: usize,
    pub rtt_requests: usize,
    pub listing_reps: usize,
    /// Runs each of `publisher status` and `publisher sessions`.
    pub status_reps: usize,
    pub wait_reps: usize,
    pub oneshot_runs: usize,
    pub idle: Duration,
    /// Session counts of the reconnect storm (a server and sessions of its own).
    pub storm: Vec<usize>,
    /// Session counts on a cluster, past one process's open-file limit.
    pub cluster: Vec<usize>,
}

impl Plan {
    pub fn new(
        quick: bool,
        sessions: Option<Vec<usize>>,
        storm: Option<Vec<usize>>,
        cluster: Option<Vec<usize>>,
        idle: Option<Duration>,
    ) -> Plan {
        let mut sessions = sessions.unwrap_or_else(|| {
            if quick {
                vec![50, 100]
            } else {
                vec![100, 1000, 5000, 10_000]
            }
        });
        sessions.sort_unstable();
        sessions.dedup();
        if quick {
            Plan {
                quick,
                sessions,
                fanout_rounds: 8,
                throughput: vec![(256, 20_000), (4096, 5_000)],
                throughput_reps: 2,
                rtt_requests: 50,
                listing_reps: 3,
                status_reps: 2,
                wait_reps: 3,
                oneshot_runs: 10,
                idle: idle.unwrap_or(Duration::from_secs(3)),
                storm: storm.unwrap_or_else(|| vec![100]),
                cluster: cluster.unwrap_or_else(|| vec![300]),
            }
        } else {
            Plan {
                quick,
                sessions,
                fanout_rounds: 30,
                throughput: vec![(256, 200_000), (4096, 50_000)],
                throughput_reps: 3,
                rtt_requests: 300,
                listing_reps: 5,
                status_reps: 5,
                wait_reps: 5,
                oneshot_runs: 25,
                idle: idle.unwrap_or(Duration::from_secs(60)),
                storm: storm.unwrap_or_else(|| vec![1000, 10_000]),
                cluster: cluster.unwrap_or_else(|| vec![50_000]),
            }
        }
    }
}

/// What the in-process scenarios share.
pub struct Ctx {
    pub fleet: Fleet,
    /// The publisher's own connection (`publisher::link::Link`) and send
    /// pipeline, with the stream.
    pub ours: Publisher,
    /// A plain async-nats connection.
    pub raw: Client,
    /// The nats-server, for its CPU time.
    pub server_pid: u32,
    /// The publisher's default sender, `user@host`.
    pub sender: String,
    pub plan: Plan,
}
