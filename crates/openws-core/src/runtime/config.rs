//! Limits and timeouts of every connection of a network.

use std::time::Duration;

use super::rate::RateLimit;

/// Limits and timeouts of every connection of a network.
///
/// Every knob, with its default and what a client sees, is listed in
/// `docs/operations.md`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The largest inbound frame, in bytes; a larger one closes the connection with 1009.
    pub max_frame_bytes: usize,
    /// How many outbound frames may wait per connection.
    pub outbound_queue: usize,
    /// How long a send to one peer waits for room in a full outbound queue
    /// before the peer is disconnected (1008) as a slow consumer; also how long
    /// a peer closed with [`Peer::close`](crate::Peer::close) has to take its
    /// queued frames before it is dropped.
    pub send_timeout: Duration,
    /// How long the server tries to write the close frame to a connection it
    /// drops (a slow consumer, an aborted or oversized one) before it drops the
    /// socket without it.
    pub close_grace: Duration,
    /// How often the server pings each connection; `None` sends no pings.
    pub ping_interval: Option<Duration>,
    /// After how many ping intervals in a row without any frame from the peer
    /// (a pong or anything else) it is dropped as dead (counted as at least 1).
    pub max_missed_pings: u32,
    /// Closes a connection (1000) that sent no message (text or binary frame)
    /// for this long; `None` keeps idle connections open.
    pub idle_timeout: Option<Duration>,
    /// The inbound rate limit of each connection; `None` sets none.
    pub rate_limit: Option<RateLimit>,
    /// Whether refused frames are answered with error frames (`false` only logs
    /// them, for clients of the JS runtime that expect no answer).
    pub error_frames: bool,
    /// The transport's read buffer per connection, in bytes (axum and warp).
    pub read_buffer_bytes: usize,
    /// How many bytes the transport gathers before it writes to the socket
    /// (axum and warp; actix-web up to 16 KiB); frames are flushed at the end
    /// of every batch anyway.
    pub write_buffer_bytes: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            outbound_queue: 16 * 1024,
            send_timeout: Duration::from_secs(5),
            close_grace: Duration::from_secs(1),
            ping_interval: Some(Duration::from_secs(20)),
            max_missed_pings: 2,
            idle_timeout: None,
            rate_limit: None,
            error_frames: true,
            read_buffer_bytes: 4 * 1024,
            write_buffer_bytes: 128 * 1024,
        }
    }
}

impl SessionConfig {
    /// The longest a peer that stopped sending stays connected after its last
    /// frame: `(max_missed_pings + 1) × ping_interval` (`max_missed_pings`
    /// counted as at least 1), or `None` without pings. It goes no sooner
    /// than `max_missed_pings` intervals after it.
    pub fn dead_peer_bound(&self) -> Option<Duration> {
        self.ping_interval
            .map(|interval| interval * self.max_missed_pings.max(1).saturating_add(1))
    }
}
