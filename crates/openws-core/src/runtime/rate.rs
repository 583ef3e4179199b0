//! The inbound rate limit of a connection: a token bucket.

use std::time::Duration;

use tokio::time::Instant;

/// The inbound rate limit of each connection: a token bucket of `burst`
/// frames refilled at `per_second` frames per second.
///
/// A frame that finds the bucket empty is dropped unhandled and answered with
/// an error frame of code `rate_limited`; the connection lives. A connection
/// that has more than [`RateLimit::close_after`] frames refused within one
/// second is closed with 1008.
///
/// ```
/// use openws_core::runtime::RateLimit;
///
/// let limit = RateLimit::new(50, 100).close_after(200);
/// assert_eq!(limit.per_second(), 50);
/// assert_eq!(limit.burst(), 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    per_second: u32,
    burst: u32,
    close_after: u32,
}

impl RateLimit {
    /// `per_second` frames per second on average, `burst` at once; a flood is
    /// closed after `burst` refused frames within a second (see [`RateLimit::close_after`]).
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: per_second.max(1),
            burst: burst.max(1),
            close_after: burst.max(1),
        }
    }

    /// Closes a connection with 1008 once more than `refused` of its frames
    /// were refused within one second.
    #[must_use]
    pub fn close_after(mut self, refused: u32) -> Self {
        self.close_after = refused;
        self
    }

    /// The average rate, in frames per second.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// How many frames may arrive at once.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// How many refused frames within one second a connection is allowed.
    pub fn refused_per_second_limit(&self) -> u32 {
        self.close_after
    }
}

/// What the bucket decides about one inbound frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Handle the frame.
    Pass,
    /// Drop the frame and tell the peer.
    Refuse,
    /// The peer keeps flooding: close the connection.
    Close,
}

/// One connection's token bucket.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    refilled_at: Instant,
    window_start: Instant,
    refused_in_window: u32,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let now = Instant::now();
        Self {
            limit,
            tokens: f64::from(limit.burst),
            refilled_at: now,
            window_start: now,
            refused_in_window: 0,
        }
    }

    /// Takes a token for one frame arriving now.
    pub(crate) fn take(&mut self) -> Verdict {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.refilled_at = now;
        self.tokens = (self.tokens + elapsed * f64::from(self.limit.per_second))
            .min(f64::from(self.limit.burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Pass;
        }
        if now.duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.refused_in_window = 0;
        }
        self.refused_in_window += 1;
        if self.refused_in_window > self.limit.close_after {
            Verdict::Close
        } else {
            Verdict::Refuse
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_refill_then_flood_closes() {
        let mut bucket = TokenBucket::new(RateLimit::new(10, 3).close_after(2));
        for _ in 0..3 {
            assert_eq!(bucket.take(), Verdict::Pass);
        }
        assert_eq!(bucket.take(), Verdict::Refuse);
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(bucket.take(), Verdict::Pass, "one token refilled");
        assert_eq!(bucket.take(), Verdict::Refuse);
        assert_eq!(
            bucket.take(),
            Verdict::Close,
            "a third refusal within a second"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_are_forgiven_after_a_second() {
        let mut bucket = TokenBucket::new(RateLimit::new(1, 1).close_after(1));
        assert_eq!(bucket.take(), Verdict::Pass);
        assert_eq!(bucket.take(), Verdict::Refuse);
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert_eq!(bucket.take(), Verdict::Pass);
        assert_eq!(bucket.take(), Verdict::Refuse, "a new window");
    }
}
