//! Limits and timeouts of every connection of a network.

use std::time::Duration;

/// Limits and timeouts of every connection of a network.
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
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_frame_bytes: 64 * 1024,
            outbound_queue: 16 * 1024,
            send_timeout: Duration::from_secs(5),
            close_grace: Duration::from_secs(1),
        }
    }
}
