//! A Rust client for OpenWS networks, over tokio-tungstenite.
//!
//! - [`Client`]: connect to a network endpoint as a role (with headers such as
//!   `Authorization`), [`send`](Client::send) messages, [`request`](Client::request)
//!   an answer correlated by `id`/`replyTo` (with a timeout), and
//!   [`recv`](Client::recv) every other frame. Error frames are typed
//!   ([`ErrorFrame`], [`ClientError::Server`]) with their stable code.
//! - [`TypedClient`]: for networks written with the core's typed roles
//!   ([`RoleType`](openws_core::typed::RoleType),
//!   [`MessageType`](openws_core::typed::MessageType)); sending a message the
//!   role may not send does not compile.
//! - [`codegen::rust`]: a typed client module generated from an OpenWS spec
//!   (what `openws codegen rust` writes).
//!
//! The wire format is described in `docs/protocol.md`; `docs/tooling.md` shows
//! the generated client in use. Only `ws://` URLs are supported (no TLS).
//!
//! ```no_run
//! use openws_client::Client;
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), openws_client::ClientError> {
//! let portal = Client::builder("ws://127.0.0.1:8082/chat", "portal")
//!     .bearer_token("dev-portal-token")
//!     .connect()
//!     .await?;
//! let stats = portal.request("requestRoomStats", &json!({"roomId": "lobby"})).await?;
//! println!("members: {}", stats.payload["members"]);
//! # Ok(())
//! # }
//! ```

pub mod codegen;
mod connection;
mod error;
mod frame;
mod typed;

pub use connection::{Client, ClientBuilder, DEFAULT_INBOX_CAPACITY, DEFAULT_TIMEOUT, Sender};
pub use error::{ClientError, CloseInfo, DecodeError};
pub use frame::{ErrorFrame, Frame, MalformedFrame, MessageFrame};
pub use openws_core::ErrorCode;
pub use typed::TypedClient;
