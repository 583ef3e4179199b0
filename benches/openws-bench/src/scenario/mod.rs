//! The load scenarios, each run against one started server (or, for
//! `cluster` and `scale`, against nodes they start).

mod broadcast;
mod churn;
mod cluster;
mod fanout;
mod memory;
mod portal;
mod scale;
mod slow;
mod soak;

use std::time::Duration;

pub(crate) use broadcast::run as broadcast;
pub use broadcast::{BroadcastParams, BroadcastResult, BroadcastStep};
pub use churn::{ChurnParams, ChurnResult, RSS_GROWTH_TARGET};
pub(crate) use cluster::run as cluster;
pub use cluster::{ClusterParams, ClusterRow};
pub(crate) use fanout::run as fanout;
pub use fanout::{FanoutParams, FanoutResult};
pub(crate) use memory::run as memory;
pub use memory::{MemoryParams, MemoryResult};
pub(crate) use scale::worker::{WorkerShare, run as scale_worker};
pub use scale::{ScaleParams, ScaleResult};
pub use slow::{Deliveries, P99_RATIO_TARGET, SlowParams, SlowResult};
pub(crate) use soak::run as soak;
pub use soak::{SoakParams, SoakResult};

/// The `q` quantile (0..=1) of `samples` in microseconds, by nearest rank.
fn percentile(samples: &mut [u64], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = (q * samples.len() as f64).ceil() as usize;
    Duration::from_micros(samples[rank.clamp(1, samples.len()) - 1])
}

/// Microseconds between two readings of [`crate::client::now_us`].
fn since(start_us: u64, end_us: u64) -> Duration {
    Duration::from_micros(end_us.saturating_sub(start_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&mut samples, 0.5), Duration::from_micros(50));
        assert_eq!(percentile(&mut samples, 0.95), Duration::from_micros(95));
        assert_eq!(percentile(&mut samples, 1.0), Duration::from_micros(100));
        assert_eq!(percentile(&mut [7], 0.99), Duration::from_micros(7));
        assert_eq!(percentile(&mut [], 0.5), Duration::ZERO);
    }
}
