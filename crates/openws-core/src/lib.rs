#![doc = include_str!("../README.md")]

mod bind;
mod discovery;
mod handshake;
mod network;
pub mod runtime;
pub mod spec;
pub mod typed;

pub use bind::{
    BindError, Bindings, BindingsBuilder, Handler, HandlerError, SenderScope, SessionConfig,
};
pub use discovery::{MountedNetwork, SpecRegistry};
pub use handshake::check_upgrade;
pub use network::{Message, Network, NetworkBuilder, Role, schema_for};
pub use runtime::{
    Admission, CloseFrame, ConnectRequest, ConnectionId, Ctx, ErrorCode, FrameError, Inbound,
    Outbox, Outgoing, Peer, Rejection, SendError, Session, serve_connection,
};
pub use spec::{Document, SpecError};
