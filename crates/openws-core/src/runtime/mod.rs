//! The framework-agnostic runtime: connections, sessions, peers, the wire
//! format and the frame pump.

mod config;
mod connect;
mod connection;
mod context;
mod gate;
mod peer;
mod pump;
mod queue;
mod rate;
mod session;
mod shared;
pub(crate) mod wire;

pub use config::SessionConfig;
pub use connect::{Admission, ConnectRequest, Rejection};
pub(crate) use connect::{bearer_token, constant_time_eq};
pub(crate) use connection::Offer;
pub use connection::{CloseFrame, Connection, ConnectionId, InvalidConnectionId, Outbox, Outgoing};
pub(crate) use context::CallParts;
pub use context::Ctx;
pub(crate) use gate::{Gate, GateConfig};
pub use gate::{Origins, Subprotocol};
pub use peer::{Peer, SendError};
pub use pump::{Inbound, serve_connection};
pub use rate::RateLimit;
pub use session::Session;
pub(crate) use shared::{ConnectHook, LifecycleHook, RoleRule, Runtime};
pub use wire::{ErrorCode, FrameError};

/// Encodes a message frame from the host role, without `replyTo`.
pub(crate) fn encode_message(
    host: &str,
    message: &str,
    payload: &serde_json::Value,
) -> bytes::Bytes {
    wire::message_frame(host, message, payload, None)
}
