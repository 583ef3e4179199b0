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
    /// The slow consumer, or why it could not be measured.
    pub slow: Result<SlowResult, String>,
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
    let slow = slow::run(server, &mut portal, &params.slow, bound).await;
    let slow = slow.map_err(|error| error.to_string());
    Ok(SoakResult { churn, slow })
}

impl SoakResult {
    /// What went wrong: failed cycles, rooms kept, lost deliveries, a slow
    /// member never let go. (Missed targets are [`SoakResult::missed_targets`].)
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.churn.problems();
        match &self.slow {
            Ok(slow) => problems.extend(slow.problems()),
            Err(error) => problems.push(format!("slow consumer: {error}")),
        }
        problems
    }

    /// The targets of issue 9 this run missed.
    pub fn missed_targets(&self) -> Vec<String> {
        let mut missed: Vec<String> = self.churn.missed_target().into_iter().collect();
        if let Ok(slow) = &self.slow {
            missed.extend(slow.missed_targets());
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
                Ok(r) => format!("{} | {}", churn_cells(&r.churn), slow_cells(&r.slow)),
                Err(error) => format!("failed: {error} |||||||||"),
            };
            let _ = writeln!(out, "| {} | {row} |", server.name());
        }
        out.push_str("\nReaders' delivery latency, p50 / p99, without → with the slow member:\n\n");
        for Outcome { server, result } in outcomes {
            if let Ok(SoakResult { slow: Ok(slow), .. }) = result {
                let (alone, with) = (slow.alone, slow.with_slow);
                let arrived = if alone.is_complete() && with.is_complete() {
                    "all arrived, in order".to_owned()
                } else {
                    format!("{} and {} arrived", alone.delivered, with.delivered)
                };
                let _ = writeln!(
                    out,
                    "- {}: {} / {} → {} / {}; {} deliveries a run, {arrived}",
                    server.name(),
                    millis(alone.p50),
                    millis(alone.p99),
                    millis(with.p50),
                    millis(with.p99),
                    alone.expected,
                );
            }
        }
        out.push_str("\nRSS after each churn round, MiB:\n\n");
        for Outcome { server, result } in outcomes {
            if let Ok(r) = result {
                let rounds: Vec<String> = r.churn.rss_kib.iter().map(|&kib| mib(kib)).collect();
                let _ = writeln!(out, "- {}: {}", server.name(), rounds.join(", "));
            }
        }
        out
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

fn churn_cells(churn: &ChurnResult) -> String {
    format!(
        "{} of {} | {} MiB | {} MiB | {:+.1}% {}",
        churn.failures,
        churn.total_cycles(),
        mib(churn.first_kib()),
        mib(churn.last_kib()),
        churn.growth_percent(),
        mark(churn.within_target()),
    )
}

fn slow_cells(slow: &Result<SlowResult, String>) -> String {
    let slow = match slow {
        Ok(slow) => slow,
        Err(error) => return format!("failed: {error} |||||"),
    };
    format!(
        "{} | {} | {:.2}× {} | {} {} | {}",
        millis(slow.alone.p99),
        millis(slow.with_slow.p99),
        slow.p99_ratio(),
        mark(slow.ratio_within_target()),
        slow.gone_after.map_or("not gone".to_owned(), seconds),
        mark(slow.gone_within_bound()),
        seconds(slow.bound),
    )
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}
