//! Operator metrics in the Prometheus text format, and the values behind /healthz and /readyz.
//!
//! Labels are bounded: controller (four kinds) and error category (four values). Container Insights
//! gauges are per cluster and per service, exported only for clusters that enable it, computed at
//! scrape time from the caches (no extra API calls).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the reconcile duration histogram.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// Process-wide operator metrics.
#[derive(Default)]
pub struct Metrics {
    reconciles: Mutex<BTreeMap<&'static str, u64>>,
    errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    durations: Mutex<BTreeMap<&'static str, Histogram>>,
    in_flight: AtomicI64,
    /// Controllers are running (this instance leads, or leader election is off).
    pub ready: AtomicBool,
}

impl Metrics {
    pub fn global() -> &'static Metrics {
        static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
        METRICS.get_or_init(Metrics::default)
    }

    pub fn reconcile_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reconcile_finished(&self, controller: &'static str, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        *lock(&self.reconciles).entry(controller).or_default() += 1;
        let mut durations = lock(&self.durations);
        let h = durations.entry(controller).or_default();
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    pub fn reconcile_failed(&self, controller: &'static str, category: &'static str) {
        *lock(&self.errors).entry((controller, category)).or_default() += 1;
    }

    /// Failed reconciles so far of `controller` in `category`.
    pub fn reconcile_failures(&self, controller: &str, category: &str) -> u64 {
        lock(&self.errors).iter().filter(|((c, k), _)| *c == controller && *k == category).map(|(_, n)| *n).sum()
    }

    /// The operator's own metrics.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP kube_ecs_reconciles_total Reconciles finished, by controller.\n");
        out.push_str("# TYPE kube_ecs_reconciles_total counter\n");
        for (controller, n) in lock(&self.reconciles).iter() {
            let _ = writeln!(out, "kube_ecs_reconciles_total{{controller=\"{controller}\"}} {n}");
        }
        out.push_str("# HELP kube_ecs_reconcile_errors_total Failed reconciles, by controller and error category.\n");
        out.push_str("# TYPE kube_ecs_reconcile_errors_total counter\n");
        for ((controller, category), n) in lock(&self.errors).iter() {
            let _ = writeln!(
                out,
                "kube_ecs_reconcile_errors_total{{controller=\"{controller}\",category=\"{category}\"}} {n}"
            );
        }
        out.push_str("# HELP kube_ecs_reconcile_duration_seconds Reconcile durations, by controller.\n");
        out.push_str("# TYPE kube_ecs_reconcile_duration_seconds histogram\n");
        for (controller, h) in lock(&self.durations).iter() {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "kube_ecs_reconcile_duration_seconds_bucket{{controller=\"{controller}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "kube_ecs_reconcile_duration_seconds_bucket{{controller=\"{controller}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "kube_ecs_reconcile_duration_seconds_sum{{controller=\"{controller}\"}} {}", h.sum);
            let _ =
                writeln!(out, "kube_ecs_reconcile_duration_seconds_count{{controller=\"{controller}\"}} {}", h.count);
        }
        out.push_str("# HELP kube_ecs_reconciles_in_flight Reconciles running now (the work queue's active depth).\n");
        out.push_str("# TYPE kube_ecs_reconciles_in_flight gauge\n");
        let _ = writeln!(out, "kube_ecs_reconciles_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        out.push_str("# HELP kube_ecs_leader Whether this instance runs the controllers.\n");
        out.push_str("# TYPE kube_ecs_leader gauge\n");
        let _ = writeln!(out, "kube_ecs_leader {}", u8::from(self.ready.load(Ordering::Relaxed)));
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
