//! The soak (issue 9): churn, then a slow consumer, against one openws
//! server, with the targets each must meet.

use std::fmt::Write;
use std::time::Duration;

use super::churn::{self, ChurnParams, ChurnResult};
use super::portal::Portal;
use super::slow::{self, SlowParams, SlowResult};
use crate::Error;
use crate::process::Running;
use crate::report::Outcome;
use crate::servers::SessionOverrides;

/// The most the resident set may grow from the first churn round to the last, in percent.
pub const RSS_GROWTH_TARGET: f64 = 5.0;
/// The most the readers' p99 may grow with the slow member in the room, as a factor.
pub const P99_RATIO_TARGET: f64 = 2.0;

/// The shape of a soak run.
#[derive(Debug, Clone)]
pub struct SoakParams {
    /// The churn.
    pub churn: ChurnParams,
    /// The slow consumer.
    pub slow: SlowParams,
    /// Session limits the servers' `/chat` route runs with.
    pub session: SessionOverrides,
}

/// What a soak run measured on one server.
#[derive(Debug, Clone)]
pub struct SoakResult {
    /// The churn.
    pub churn: ChurnResult,
    /// The slow consumer.
    pub slow: SlowResult,
}

impl SoakParams {
    /// The documented bound on how long a member that never reads stays:
    /// the keepalive's dead-peer bound, then the close grace.
    pub fn slow_bound(&self) -> Result<Duration, Error> {
        let config = self.session.config();
        let dead = config
            .dead_peer_bound()
            .ok_or("the soak needs the keepalive on")?;
        Ok(dead + config.close_grace)
    }

    /// The arguments of `openws-bench serve` for the servers of the run.
    pub(crate) fn serve_args(&self) -> Vec<String> {
        self.session.to_args()
    }
}

/// Runs the churn, then the slow consumer, against `server`.
pub(crate) async fn run(server: &Running, params: &SoakParams) -> Result<SoakResult, Error> {
    let bound = params.slow_bound()?;
    let mut portal = Portal::connect(server.addr()).await?;
    let churn = churn::run(server, &mut portal, &params.churn).await?;
    let slow = slow::run(server, &mut portal, &params.slow, bound).await?;
    Ok(SoakResult { churn, slow })
}

impl SoakResult {
    /// What went wrong: failed cycles, rooms kept, lost deliveries, a slow
    /// member never let go. (Missed targets are [`SoakResult::missed_targets`].)
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let churn = &self.churn;
        if churn.failures > 0 {
            problems.push(format!(
                "{} of {} churn cycles failed, first: {}",
                churn.failures,
                churn.total_cycles(),
                churn.first_failure.as_deref().unwrap_or("?")
            ));
        }
        if churn.rooms_left > 0 {
            problems.push(format!(
                "{} rooms outlived their only member",
                churn.rooms_left
            ));
        }
        if churn.rss_kib.is_empty() || churn.first_kib() == 0 {
            problems.push("no RSS read".to_owned());
        }
        for (run, deliveries) in [
            ("alone", self.slow.alone),
            ("with the slow one", self.slow.with_slow),
        ] {
            if !deliveries.is_complete() {
                problems.push(format!(
                    "{run}: {} of {} deliveries ({} out of order)",
                    deliveries.delivered, deliveries.expected, deliveries.out_of_order
                ));
            }
        }
        if self.slow.gone_after.is_none() {
            problems.push(format!(
                "the slow member was still in the room {:?} after the first post it did not read",
                self.slow.bound * 2
            ));
        }
        problems
    }

    /// The targets of issue 9 this run missed.
    pub fn missed_targets(&self) -> Vec<String> {
        let mut missed = Vec::new();
        let growth = self.churn.growth_percent();
        if growth > RSS_GROWTH_TARGET {
            missed.push(format!(
                "RSS grew {growth:.1}% from the first churn round to the last (target ≤ {RSS_GROWTH_TARGET}%)"
            ));
        }
        let ratio = self.slow.p99_ratio();
        if ratio > P99_RATIO_TARGET {
            missed.push(format!(
                "p99 with the slow member is {ratio:.2}× the p99 without (target ≤ {P99_RATIO_TARGET}×)"
            ));
        }
        if !self.slow.gone_within_bound() {
            missed.push(format!(
                "the slow member went after {}, documented bound {}",
                self.slow.gone_after.map_or("–".to_owned(), seconds),
                seconds(self.slow.bound)
            ));
        }
        missed
    }

    /// The soak table, with the run's shape above it.
    pub fn to_markdown(outcomes: &[Outcome<SoakResult>], params: &SoakParams) -> String {
        let ChurnParams { rounds, cycles, .. } = params.churn;
        let slow = &params.slow;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "#### Soak\n\nChurn: {rounds} rounds of {cycles} connect → createRoom → joinedRoom → disconnect cycles; \
             RSS after round 1 and after round {rounds}. Slow consumer: one room of {} members, a sender posting \
             {} messages at {}/s, readers' delivery latency without and with one member that never reads \
             (receive buffer {} bytes). Session limits: {}.\n",
            slow.clients,
            slow.messages,
            slow.rate,
            slow.receive_buffer,
            params.session.describe(),
        );
        out.push_str("| server | churn cycles failed | RSS after round 1 | RSS after last round | growth | p99 without slow | p99 with slow | ratio | slow one gone after | documented bound |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for Outcome { server, result } in outcomes {
            let row = match result {
                Ok(r) => {
                    let mark = |ok: bool| if ok { "✓" } else { "✗" };
                    let growth = r.churn.growth_percent();
                    let ratio = r.slow.p99_ratio();
                    format!(
                        "{} of {} | {} | {} | {growth:+.1}% {} | {} | {} | {ratio:.2}× {} | {} {} | {} |",
                        r.churn.failures,
                        r.churn.total_cycles(),
                        mib(r.churn.first_kib()),
                        mib(r.churn.last_kib()),
                        mark(growth <= RSS_GROWTH_TARGET),
                        millis(r.slow.alone.p99),
                        millis(r.slow.with_slow.p99),
                        mark(ratio <= P99_RATIO_TARGET),
                        r.slow.gone_after.map_or("not gone".to_owned(), seconds),
                        mark(r.slow.gone_within_bound()),
                        seconds(r.slow.bound),
                    )
                }
                Err(error) => format!("failed: {error} |||||||||"),
            };
            let _ = writeln!(out, "| {} | {row}", server.name());
        }
        out
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}
