//! What a scale run measured, and its table.

use std::time::Duration;

use super::wire::RoundReport;
use super::{ScaleParams, WARMUP_ROUNDS};
use crate::report::{count, kib, mib, micros, millis, seconds};
use crate::scenario::percentile;

/// What a scale run measured. Every broadcast reached every session, or the
/// run failed.
#[derive(Debug, Clone)]
pub struct ScaleResult {
    /// The run's shape.
    pub params: ScaleParams,
    /// From telling the generators to open until the last one had all its
    /// sessions open and greeted.
    pub open_time: Duration,
    /// The nodes' resident sets together before the sessions opened, KiB.
    pub nodes_rss_before_kib: u64,
    /// The nodes' resident sets together with every session open, KiB.
    pub nodes_rss_after_kib: u64,
    /// The generators' resident sets together with every session open, KiB.
    pub generators_rss_kib: u64,
    /// Deliveries the measured broadcasts called for: sessions × rounds.
    pub expected: u64,
    /// Deliveries that arrived (each once, in order).
    pub received: u64,
    /// Median delivery latency.
    pub p50: Duration,
    /// 95th percentile delivery latency.
    pub p95: Duration,
    /// 99th percentile delivery latency.
    pub p99: Duration,
    /// The slowest delivery.
    pub max: Duration,
    /// Median time for a broadcast to reach every session (its last delivery).
    pub everyone_p50: Duration,
    /// 95th percentile time for a broadcast to reach every session.
    pub everyone_p95: Duration,
    /// CPU time the nodes used together during the measured broadcasts.
    pub nodes_cpu: Duration,
    /// CPU time the generators used together during the measured broadcasts.
    pub generators_cpu: Duration,
}

impl ScaleResult {
    /// The nodes' resident memory per open session, bytes.
    pub fn rss_per_session_bytes(&self) -> f64 {
        let growth = self
            .nodes_rss_after_kib
            .saturating_sub(self.nodes_rss_before_kib);
        growth as f64 * 1024.0 / self.params.sessions.max(1) as f64
    }

    /// The nodes' CPU time per delivery, all nodes together.
    pub fn cpu_per_delivery(&self) -> Duration {
        self.nodes_cpu.div_f64(self.received.max(1) as f64)
    }

    /// The generators' CPU time per delivery (reading and checking it).
    pub fn generator_cpu_per_delivery(&self) -> Duration {
        self.generators_cpu.div_f64(self.received.max(1) as f64)
    }

    /// The figures as a markdown table, with the run's shape above it.
    pub fn to_markdown(&self) -> String {
        let p = &self.params;
        let mut out = format!(
            "{} sessions on {} openws-axum nodes joined by {} ({} per node), opened by {} generator \
             processes; {} broadcasts to every session after {WARMUP_ROUNDS} warm-up ones, each sent by \
             one more client on the first node.\n\n",
            count(p.sessions as f64),
            p.nodes,
            p.backplane.name(),
            count(p.sessions.div_ceil(p.nodes.max(1)) as f64),
            p.generators,
            p.rounds,
        );
        let rows = [
            ("time to open every session", seconds(self.open_time)),
            (
                "sessions opened per second",
                count(p.sessions as f64 / self.open_time.as_secs_f64().max(1e-9)),
            ),
            (
                "node RSS, all nodes: before → with the sessions",
                format!(
                    "{} → {}",
                    mib(self.nodes_rss_before_kib),
                    mib(self.nodes_rss_after_kib)
                ),
            ),
            ("node RSS per session", kib(self.rss_per_session_bytes())),
            (
                "generator RSS, all generators",
                mib(self.generators_rss_kib),
            ),
            (
                "delivery latency p50 / p95 / p99 / max",
                [self.p50, self.p95, self.p99, self.max]
                    .map(millis)
                    .join(" / "),
            ),
            (
                "broadcast reaches every session: p50 / p95",
                [self.everyone_p50, self.everyone_p95]
                    .map(millis)
                    .join(" / "),
            ),
            (
                "deliveries expected / received",
                format!(
                    "{} / {}",
                    count(self.expected as f64),
                    count(self.received as f64)
                ),
            ),
            (
                "CPU per delivery: nodes / generators",
                format!(
                    "{} / {}",
                    micros(self.cpu_per_delivery()),
                    micros(self.generator_cpu_per_delivery())
                ),
            ),
        ];
        out.push_str("| measure | value |\n|---|---:|\n");
        for (measure, value) in rows {
            out.push_str(&format!("| {measure} | {value} |\n"));
        }
        out
    }
}

/// The measured broadcasts' receipts.
#[derive(Default)]
pub(super) struct Tally {
    latencies_us: Vec<u64>,
    /// For each broadcast, from its send to its last delivery, µs.
    everyone_us: Vec<u64>,
}

impl Tally {
    pub(super) fn add(&mut self, reports: Vec<RoundReport>, slowest_us: u64) {
        self.everyone_us.push(slowest_us);
        for report in reports {
            self.latencies_us.extend(report.latencies_us);
        }
    }

    pub(super) fn into_result(mut self, params: &ScaleParams, run: ScaleRun) -> ScaleResult {
        let received = self.latencies_us.len() as u64;
        ScaleResult {
            params: params.clone(),
            open_time: run.open_time,
            nodes_rss_before_kib: run.nodes_rss_before_kib,
            nodes_rss_after_kib: run.nodes_rss_after_kib,
            generators_rss_kib: run.generators_rss_kib,
            expected: (params.sessions * params.rounds) as u64,
            received,
            p50: percentile(&mut self.latencies_us, 0.50),
            p95: percentile(&mut self.latencies_us, 0.95),
            p99: percentile(&mut self.latencies_us, 0.99),
            max: percentile(&mut self.latencies_us, 1.0),
            everyone_p50: percentile(&mut self.everyone_us, 0.50),
            everyone_p95: percentile(&mut self.everyone_us, 0.95),
            nodes_cpu: run.nodes_cpu,
            generators_cpu: run.generators_cpu,
        }
    }
}

/// The figures of a run besides the latencies.
pub(super) struct ScaleRun {
    pub(super) open_time: Duration,
    pub(super) nodes_rss_before_kib: u64,
    pub(super) nodes_rss_after_kib: u64,
    pub(super) generators_rss_kib: u64,
    pub(super) nodes_cpu: Duration,
    pub(super) generators_cpu: Duration,
}
