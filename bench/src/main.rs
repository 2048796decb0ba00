//! `bench`: what the project's envelope, receipts, session list and stream
//! cost on top of NATS itself, each figure measured side by side with a raw
//! async-nats baseline in the same run, alternating, with medians (see
//! BENCHMARKS.md).
//!
//! It starts its own nats-server, simulates up to 10,000 sessions with the
//! real agent core in one process, and runs the real `publisher` and
//! `subscriber` binaries for the process-level figures.
//!
//! Layout:
//! - [`server`]: the bench's nats-server and the open-file limit.
//! - [`fleet`]: the simulated sessions (agent core + raw baseline per connection).
//! - [`ours`]: messages sent the way `publisher send` sends them.
//! - [`ledger`]: the ledger stream, set up as `publisher setup` does, and counted.
//! - [`scenarios`]: one module per figure.
//! - [`procs`]: the real binaries, `/proc` sampling, the machine.
//! - [`report`]: results, target checks, markdown and JSON.
//! - [`stats`]: the clock, percentiles, medians.
//!
//! It measures Linux processes (`/proc` sampling, `prctl`, the open-file
//! rlimit), so it is built on Linux only (`linux.rs`, included here); built
//! for another OS (the workspace is checked for Windows and macOS) the binary
//! only says so.

#[cfg(target_os = "linux")]
include!("linux.rs");

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("bench: the benchmarks run on Linux only (they sample /proc); see BENCHMARKS.md");
    std::process::exit(2);
}
