//! One monotonic clock for every timestamp the bench takes, and the few
//! statistics it reports (percentiles, medians, ratios), so that raw and ours
//! are always summarised the same way.

use serde::Serialize;
use std::sync::OnceLock;
use std::time::Instant;

static BASE: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the first call: cheap, monotonic, and shareable between
/// tasks as a plain `u64` (e.g. in an atomic).
pub fn now_ns() -> u64 {
    BASE.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// Nearest-rank percentile `p` (0–100) of sorted samples; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of `values` (mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// `ours / raw`, rounded to 2 decimals; 0 when the baseline is 0.
pub fn ratio(ours: f64, raw: f64) -> f64 {
    if raw <= 0.0 {
        return 0.0;
    }
    round2(ours / raw)
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub samples: usize,
}

impl Latency {
    /// Summarises samples in nanoseconds.
    pub fn of_ns(mut samples: Vec<u64>) -> Latency {
        samples.sort_unstable();
        let us = |ns: u64| round2(ns as f64 / 1000.0);
        Latency {
            p50_us: us(percentile(&samples, 50.0)),
            p99_us: us(percentile(&samples, 99.0)),
            max_us: us(samples.last().copied().unwrap_or(0)),
            samples: samples.len(),
        }
    }

    /// The median of each figure over several summaries (e.g. rounds).
    pub fn median_of(all: &[Latency]) -> Latency {
        let pick = |f: fn(&Latency) -> f64| round2(median(&all.iter().map(f).collect::<Vec<_>>()));
        Latency {
            p50_us: pick(|l| l.p50_us),
            p99_us: pick(|l| l.p99_us),
            max_us: pick(|l| l.max_us),
            samples: all.iter().map(|l| l.samples).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(ratio(3.0, 2.0), 1.5);
        assert_eq!(ratio(1.0, 0.0), 0.0);
    }

    #[test]
    fn latency_is_in_microseconds() {
        let l = Latency::of_ns(vec![3_000, 1_000, 2_000]);
        assert_eq!((l.p50_us, l.max_us, l.samples), (2.0, 3.0, 3));
    }
}
