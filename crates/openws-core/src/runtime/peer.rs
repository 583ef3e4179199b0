//! Peer handles: sending to one connection, scoped to what its role accepts.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

use super::connection::{CloseFrame, Connection, ConnectionId};
use super::wire::{self, FrameError};
use crate::contract::RoleId;
use crate::hub::{Hub, HubError};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The receiving role accepts no message of that name.
    #[error("role `{role}` accepts no message `{message}`")]
    UnknownMessage {
        /// The receiving role (or `*` for a broadcast no role accepts).
        role: String,
        /// The message named.
        message: String,
    },
    /// The payload does not match the receiving role's schema for the message.
    #[error("payload of `{}` does not match its schema: {}", .0.message_name.as_deref().unwrap_or(""), .0.message)]
    InvalidPayload(FrameError),
    /// The payload could not be serialized to JSON.
    #[error("payload could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The peer's connection has closed (or is closing).
    #[error("the peer has disconnected")]
    Disconnected,
    /// The peer did not read its frames in time and is being disconnected.
    #[error("the peer's outbound queue stayed full; it is being disconnected")]
    SlowConsumer,
    /// [`Peer::try_send`] found the outbound queue full; nothing was sent.
    #[error("the peer's outbound queue is full")]
    Full,
    /// No connection has this id (on this node, or on any node the backplane reached).
    #[error("no connection `{0}`")]
    UnknownConnection(ConnectionId),
    /// The hub's backplane failed to carry the message.
    #[error(transparent)]
    Hub(#[from] HubError),
}

/// A handle for sending messages to one connected peer, scoped to what its role accepts.
///
/// Cheap to clone and safe to store: it holds the connection and the
/// network's contract, never the handlers or the application state. Every
/// send is validated against the receiving role's schema before it is queued.
#[derive(Clone)]
pub struct Peer {
    connection: Arc<Connection>,
    hub: Hub,
    role: RoleId,
}

impl Peer {
    pub(crate) fn new(connection: Arc<Connection>, hub: Hub, role: RoleId) -> Self {
        Self {
            connection,
            hub,
            role,
        }
    }

    /// The connection this handle sends to.
    pub fn connection_id(&self) -> ConnectionId {
        self.connection.id()
    }

    /// The connection itself: its state, rooms and counters.
    pub fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// The hub of the peer's network: rooms, broadcasts, other connections.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn role_id(&self) -> RoleId {
        self.role
    }

    /// The role the peer holds.
    pub fn role(&self) -> &str {
        self.connection.contract().role_name(self.role)
    }

    /// Whether the connection is open (neither closing nor closed).
    pub fn is_connected(&self) -> bool {
        self.connection.is_open()
    }

    /// Sends `message` with `payload` to the peer.
    ///
    /// Fails without sending when the peer's role does not accept the message
    /// or the payload does not match its schema. Waits while the peer's
    /// outbound queue is full, up to the send timeout (see
    /// [`BindingsBuilder::send_timeout`](crate::BindingsBuilder::send_timeout));
    /// a peer still full then is disconnected with 1008 and the send fails
    /// with [`SendError::SlowConsumer`].
    pub async fn send<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        let frame = self.encode(message, payload, None)?;
        self.connection.push(frame).await
    }

    /// Sends without waiting: fails with [`SendError::Full`] when the
    /// outbound queue has no room (nothing is sent, the peer stays connected).
    pub fn try_send<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        let frame = self.encode(message, payload, None)?;
        self.connection.try_push(frame)
    }

    /// Closes the connection with `frame` after the frames already queued
    /// (a kick with a reason arrives after what was sent before it). Sends
    /// made afterwards fail. A peer that does not read its queue within the
    /// send timeout is dropped without the close frame.
    pub fn close(&self, frame: CloseFrame) {
        self.connection.close(frame);
    }

    /// Closes the connection with `frame` now, dropping queued frames.
    pub fn abort(&self, frame: CloseFrame) {
        self.connection.abort(frame);
    }

    /// Puts the connection in `room` (see [`Hub::join`]).
    pub fn join(&self, room: &str) -> Result<bool, HubError> {
        self.hub.join_connection(&self.connection, room)
    }

    /// Takes the connection out of `room`; `false` if it was not in it.
    pub fn leave(&self, room: &str) -> bool {
        self.hub.leave(self.connection_id(), room)
    }

    pub(crate) async fn send_frame<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
        reply_to: Option<&RawValue>,
    ) -> Result<(), SendError> {
        let frame = self.encode(message, payload, reply_to)?;
        self.connection.push(frame).await
    }

    /// Validates and encodes a message for this peer's role.
    fn encode<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
        reply_to: Option<&RawValue>,
    ) -> Result<bytes::Bytes, SendError> {
        let payload = serde_json::to_value(payload)?;
        let contract = self.connection.contract();
        let spec =
            contract
                .message(self.role, message)
                .ok_or_else(|| SendError::UnknownMessage {
                    role: self.role().to_owned(),
                    message: message.to_owned(),
                })?;
        spec.check_payload(&payload)
            .map_err(|e| SendError::InvalidPayload(e.about(message)))?;
        Ok(wire::message_frame(
            contract.host_name(),
            message,
            &payload,
            reply_to,
        ))
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("connection", &self.connection.id())
            .field("role", &self.role())
            .finish()
    }
}
