//! Churn: rounds of connect → `createRoom` (a room of its own) → wait for
//! `joinedRoom` → disconnect, a bounded number at a time, reading the
//! server's resident set after each round. A server that frees what a
//! connection held ends each round where the first one ended.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::portal::Portal;
use crate::Error;
use crate::client::{WAIT, disconnect, enter_each};
use crate::process::Running;

/// The most the resident set may grow from the first round to the last, in percent (issue 9).
pub const RSS_GROWTH_TARGET: f64 = 5.0;

/// The shape of a churn run.
#[derive(Debug, Clone, Copy)]
pub struct ChurnParams {
    /// Rounds; the resident set is read after each.
    pub rounds: usize,
    /// Connect → `createRoom` → disconnect cycles per round.
    pub cycles: usize,
    /// Pause before each reading of the resident set, once the round's rooms are gone.
    pub settle: Duration,
}

/// What a churn run measured.
#[derive(Debug, Clone)]
pub struct ChurnResult {
    /// Cycles per round.
    pub cycles: usize,
    /// Server RSS after each round, KiB.
    pub rss_kib: Vec<u64>,
    /// Cycles that failed (connect, `joinedRoom` or the closing handshake).
    pub failures: usize,
    /// What went wrong in the first failed cycle.
    pub first_failure: Option<String>,
    /// Rooms the server still held after their only member had left.
    pub rooms_left: usize,
}

impl ChurnResult {
    /// Server RSS after the first round, KiB.
    pub fn first_kib(&self) -> u64 {
        self.rss_kib.first().copied().unwrap_or(0)
    }

    /// Server RSS after the last round, KiB.
    pub fn last_kib(&self) -> u64 {
        self.rss_kib.last().copied().unwrap_or(0)
    }

    /// Growth of the resident set from the first round to the last, in percent.
    pub fn growth_percent(&self) -> f64 {
        let first = self.first_kib().max(1) as f64;
        (self.last_kib() as f64 - first) / first * 100.0
    }

    /// Every cycle of every round.
    pub fn total_cycles(&self) -> usize {
        self.cycles * self.rss_kib.len()
    }

    /// Whether the resident set grew no more than [`RSS_GROWTH_TARGET`].
    pub fn within_target(&self) -> bool {
        self.growth_percent() <= RSS_GROWTH_TARGET
    }

    /// What went wrong: failed cycles, rooms kept, no RSS read.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.failures > 0 {
            problems.push(format!(
                "{} of {} churn cycles failed, first: {}",
                self.failures,
                self.total_cycles(),
                self.first_failure.as_deref().unwrap_or("?")
            ));
        }
        if self.rooms_left > 0 {
            problems.push(format!(
                "{} rooms outlived their only member",
                self.rooms_left
            ));
        }
        if self.first_kib() == 0 {
            problems.push("no RSS read".to_owned());
        }
        problems
    }

    /// The target missed, if it was.
    pub fn missed_target(&self) -> Option<String> {
        (!self.within_target()).then(|| {
            format!(
                "RSS grew {:.1}% from the first churn round to the last (target ≤ {RSS_GROWTH_TARGET}%)",
                self.growth_percent()
            )
        })
    }
}

/// Connections opened and closed at once.
const AT_ONCE: usize = 64;

/// Runs the scenario against `server`, with `portal` checking that rooms go.
pub(crate) async fn run(
    server: &Running,
    portal: &mut Portal,
    params: &ChurnParams,
) -> Result<ChurnResult, Error> {
    let mut result = ChurnResult {
        cycles: params.cycles,
        rss_kib: Vec::with_capacity(params.rounds),
        failures: 0,
        first_failure: None,
        rooms_left: 0,
    };
    for round in 0..params.rounds {
        let rooms: Vec<String> = (0..params.cycles)
            .map(|cycle| format!("churn-{round}-{cycle}"))
            .collect();
        let users = rooms.iter().map(|room| (format!("u-{room}"), room.clone()));
        let mut cycles = enter_each(server.addr(), "/chat", "createRoom", users)
            .map(|entered| async move { disconnect(entered?).await })
            .buffer_unordered(AT_ONCE);
        while let Some(cycle) = cycles.next().await {
            if let Err(error) = cycle {
                result.failures += 1;
                result.first_failure.get_or_insert(error.to_string());
            }
        }
        result.rooms_left += rooms_left(portal, &rooms).await?;
        tokio::time::sleep(params.settle).await;
        result.rss_kib.push(server.rss_kib()?);
    }
    Ok(result)
}

/// How many of `rooms` the server still holds once it has had time to see
/// their members go.
async fn rooms_left(portal: &mut Portal, rooms: &[String]) -> Result<usize, Error> {
    let deadline = Instant::now() + WAIT;
    let mut left = 0;
    for room in rooms {
        while portal.members(room).await?.is_some() {
            if Instant::now() >= deadline {
                left += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Ok(left)
}
