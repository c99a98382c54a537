//! Prometheus text metrics. Labels are routes, statuses, verdicts, vendors and client names:
//! never an input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Latency buckets, seconds.
const BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The service's counters. Requests are counted without allocating (the hot path of a
/// free validation); the rest are rarer and labelled with text.
#[derive(Default)]
pub(crate) struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), f64>>,
    requests: Mutex<ByRouteAndStatus>,
}

/// Requests and their latencies by route and status.
type ByRouteAndStatus = BTreeMap<(&'static str, u16), (u64, Histogram)>;

impl Metrics {
    pub(crate) fn add(&self, name: &'static str, labels: String, value: f64) {
        *self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((name, labels))
            .or_insert(0.0) += value;
    }

    pub(crate) fn request(&self, route: &'static str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let (count, histogram) = requests.entry((route, status)).or_default();
        *count += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[i] += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The Prometheus text exposition; `extra` lines (gauges read at render time) appended.
    pub(crate) fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::with_capacity(4096);
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut last = "";
        for ((name, labels), value) in counters.iter() {
            if *name != last {
                let _ = writeln!(out, "# TYPE {name} counter");
                last = name;
            }
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {value}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
        drop(counters);
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        out.push_str("# TYPE idcheck_requests_total counter\n");
        let mut latency: BTreeMap<&str, Histogram> = BTreeMap::new();
        for ((route, status), (count, histogram)) in requests.iter() {
            let _ = writeln!(
                out,
                "idcheck_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
            );
            let merged = latency.entry(route).or_default();
            for (sum, n) in merged.counts.iter_mut().zip(histogram.counts) {
                *sum += n;
            }
            merged.count += histogram.count;
            merged.sum += histogram.sum;
        }
        drop(requests);
        out.push_str("# TYPE idcheck_request_duration_seconds histogram\n");
        for (route, histogram) in &latency {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                let _ = writeln!(
                    out,
                    "idcheck_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "idcheck_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "idcheck_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "idcheck_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        for (name, kind, value) in extra {
            let _ = writeln!(out, "# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}
