#![doc = include_str!("../README.md")]

mod bind;
mod contract;
mod discovery;
mod endpoints;
pub mod extract;
mod guard;
mod handler;
mod handshake;
pub mod hub;
pub mod management;
pub mod middleware;
mod network;
mod reply;
pub mod runtime;
pub mod spec;
pub mod stream;
pub mod typed;
pub mod viewer;

pub use bind::{BindError, Bindings, BindingsBuilder, SenderScope};
pub use discovery::{MountedNetwork, Networks};
pub use endpoints::{EndpointRequest, EndpointResponse};
pub use guard::Guard;
pub use handler::{BoxError, Handler, HandlerError};
pub use handshake::check_upgrade;
pub use hub::{Broadcast, Delivery, Hub, HubError};
pub use network::{Message, Network, NetworkBuilder, Role, schema_for};
pub use reply::{IntoResponse, Reply, Response};
pub use runtime::{
    Admission, CloseFrame, ConnectRequest, Connection, ConnectionId, Ctx, ErrorCode, FrameError,
    Inbound, Origins, Outbox, Outgoing, Peer, RateLimit, Rejection, SendError, Session,
    SessionConfig, Subprotocol, serve_connection,
};
pub use spec::{Document, SpecError};
pub use stream::{StreamError, StreamSink};
