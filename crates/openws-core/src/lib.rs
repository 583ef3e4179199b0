#![doc = include_str!("../README.md")]

mod bind;
mod contract;
mod discovery;
mod endpoints;
mod handler;
mod handshake;
pub mod hub;
pub mod management;
mod network;
pub mod runtime;
pub mod spec;
pub mod typed;
pub mod viewer;

pub use bind::{BindError, Bindings, BindingsBuilder, SenderScope};
pub use discovery::{MountedNetwork, Networks};
pub use endpoints::{EndpointRequest, EndpointResponse};
pub use handler::{Handler, HandlerError};
pub use handshake::check_upgrade;
pub use hub::{Broadcast, Delivery, Hub, HubError};
pub use network::{Message, Network, NetworkBuilder, Role, schema_for};
pub use runtime::{
    Admission, CloseFrame, ConnectRequest, Connection, ConnectionId, Ctx, ErrorCode, FrameError,
    Inbound, Origins, Outbox, Outgoing, Peer, RateLimit, Rejection, SendError, Session,
    SessionConfig, Subprotocol, serve_connection,
};
pub use spec::{Document, SpecError};
