//! The framework-agnostic runtime: sessions, peers, the wire format and the frame pump.

mod connect;
mod context;
mod peer;
mod pump;
mod session;
mod wire;

pub use connect::{Admission, ConnectRequest, Rejection};
pub(crate) use context::CallParts;
pub use context::Ctx;
pub use peer::{CloseFrame, ConnectionId, Outbox, Outgoing, Peer, SendError};
pub use pump::{Inbound, serve_connection};
pub use session::Session;
pub use wire::{ErrorCode, FrameError};
