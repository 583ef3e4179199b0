//! The hub of a mounted network: its live connections, rooms, and the
//! operators that send to many.
//!
//! Reach it from a handler with [`Ctx::hub`](crate::Ctx::hub) (or
//! [`Peer::hub`](crate::Peer::hub)) and from anywhere else with
//! [`Bindings::hub`](crate::Bindings::hub):
//!
//! ```
//! # use openws_core::{Ctx, HandlerError};
//! # use serde_json::{json, Value};
//! async fn say(ctx: Ctx<()>, payload: Value) -> Result<(), HandlerError> {
//!     ctx.peer().join("lobby")?;
//!     let delivery = ctx
//!         .to("lobby")
//!         .except(ctx.connection_id())
//!         .send("said", &payload)
//!         .await?;
//!     tracing::debug!(?delivery, "lobby told");
//!     Ok(())
//! }
//! ```

mod backplane;
mod broadcast;
pub mod cluster;
mod labels;
mod registry;
mod to_connection;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

pub use backplane::{
    Backplane, BackplaneError, ConnectionInfo, Delivery, EncodedFrame, Listing, LocalBackplane,
    Target,
};
pub use broadcast::Broadcast;
pub use labels::Labels;
use registry::JoinMode;
pub use registry::Registry;
pub use to_connection::ToConnection;

use crate::contract::Contract;
use crate::runtime::{CloseFrame, Connection, ConnectionId, Peer, SendError};

/// How many rooms one connection may be in unless configured otherwise.
pub const DEFAULT_MAX_ROOMS_PER_CONNECTION: usize = 64;

/// Why a hub operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The connection is not (or no longer) live on this node.
    #[error("connection `{0}` is not connected here")]
    NotConnected(ConnectionId),
    /// A room that must be new already has members.
    #[error("room `{0}` already exists")]
    RoomExists(String),
    /// A room that must exist has no members.
    #[error("room `{0}` does not exist")]
    NoSuchRoom(String),
    /// The connection is in as many rooms as allowed.
    #[error("connection `{connection}` is already in {max} rooms, the most allowed")]
    TooManyRooms {
        /// The connection.
        connection: ConnectionId,
        /// The limit (see [`BindingsBuilder::max_rooms_per_connection`](crate::BindingsBuilder::max_rooms_per_connection)).
        max: usize,
    },
    /// The backplane failed.
    #[error(transparent)]
    Backplane(#[from] BackplaneError),
}

/// The connections and rooms of one mounted network; cheap to clone.
///
/// Broadcasts validate the payload once per receiving role, encode the frame
/// once and share its bytes with every receiver; they never wait for a
/// receiver (one whose queue is full is closed with 1008 and counted in the
/// [`Delivery`]).
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    contract: Arc<Contract>,
    registry: Registry,
    backplane: Arc<dyn Backplane>,
    max_rooms: usize,
}

impl Hub {
    pub(crate) fn new(
        contract: Arc<Contract>,
        backplane: Arc<dyn Backplane>,
        max_rooms: usize,
    ) -> Self {
        let registry = Registry::new(Arc::clone(&contract));
        backplane.attach(registry.clone());
        Self {
            inner: Arc::new(Inner {
                contract,
                registry,
                backplane,
                max_rooms,
            }),
        }
    }

    /// The network's name.
    pub fn network(&self) -> &str {
        self.inner.contract.network().name()
    }

    /// This node's connections and rooms.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// How many connections are live on this node.
    pub fn len(&self) -> usize {
        self.inner.registry.len()
    }

    /// Whether no connection is live on this node.
    pub fn is_empty(&self) -> bool {
        self.inner.registry.is_empty()
    }

    /// A handle on a live connection of this node.
    pub fn peer(&self, id: ConnectionId) -> Option<Peer> {
        self.inner
            .registry
            .get(id)
            .and_then(|connection| self.peer_of(connection))
    }

    /// Handles on every live connection of this node.
    pub fn peers(&self) -> Vec<Peer> {
        self.collect(self.inner.registry.all())
    }

    /// Handles on the live connections of this node holding `role`.
    pub fn peers_with_role(&self, role: &str) -> Vec<Peer> {
        let role = self.inner.registry.role_of(role);
        let all = self.inner.registry.all();
        self.collect(
            all.into_iter()
                .filter(|c| c.role_id() == role && role.is_some()),
        )
    }

    /// Handles on this node's members of `room`, in the order they joined.
    pub fn members(&self, room: &str) -> Vec<Peer> {
        self.collect(self.inner.registry.members(room))
    }

    /// The rooms with members on this node.
    pub fn rooms(&self) -> Vec<String> {
        self.inner.registry.room_names()
    }

    /// Puts connection `id` in `room`, creating the room if needed; `Ok(true)`
    /// when that created it. Fails when the connection is in as many rooms as
    /// allowed, or is not live on this node.
    pub fn join(&self, id: ConnectionId, room: &str) -> Result<bool, HubError> {
        self.join_as(id, room, JoinMode::Any)
    }

    /// Creates `room` with connection `id` as its only member; fails with
    /// [`HubError::RoomExists`] if it has members already, on any node.
    pub async fn create_room(&self, id: ConnectionId, room: &str) -> Result<(), HubError> {
        if !self.inner.registry.has_room(room) && self.exists_elsewhere(room).await? {
            return Err(HubError::RoomExists(room.to_owned()));
        }
        self.join_as(id, room, JoinMode::Create).map(|_| ())
    }

    /// Puts connection `id` in `room`, which must have members already, on
    /// this node or another ([`HubError::NoSuchRoom`] otherwise).
    pub async fn join_existing(&self, id: ConnectionId, room: &str) -> Result<(), HubError> {
        match self.join_as(id, room, JoinMode::Existing) {
            Err(HubError::NoSuchRoom(_)) if self.exists_elsewhere(room).await? => {
                self.join_as(id, room, JoinMode::Any).map(|_| ())
            }
            joined => joined.map(|_| ()),
        }
    }

    /// Whether `room` has members on any node, as the backplane finds out.
    pub async fn room_exists(&self, room: &str) -> Result<bool, HubError> {
        if self.inner.registry.has_room(room) {
            return Ok(true);
        }
        self.exists_elsewhere(room).await
    }

    async fn exists_elsewhere(&self, room: &str) -> Result<bool, HubError> {
        Ok(self
            .inner
            .backplane
            .room_exists(&self.inner.registry, room)
            .await?)
    }

    fn join_as(&self, id: ConnectionId, room: &str, mode: JoinMode) -> Result<bool, HubError> {
        let connection = self
            .inner
            .registry
            .get(id)
            .ok_or(HubError::NotConnected(id))?;
        self.inner
            .registry
            .join(&connection, room, self.inner.max_rooms, mode)
    }

    pub(crate) fn join_connection(
        &self,
        connection: &Arc<Connection>,
        room: &str,
    ) -> Result<bool, HubError> {
        self.inner
            .registry
            .join(connection, room, self.inner.max_rooms, JoinMode::Any)
    }

    /// Takes connection `id` out of `room` (an empty room is freed); `false` if it was not in it.
    pub fn leave(&self, id: ConnectionId, room: &str) -> bool {
        self.inner.registry.leave(id, room)
    }

    /// A broadcast to the members of `room`; add rooms, exceptions or a role before sending.
    pub fn to(&self, room: impl Into<String>) -> Broadcast {
        self.all().to(room)
    }

    /// A broadcast to every connection of the network.
    pub fn all(&self) -> Broadcast {
        Broadcast::new(self.clone())
    }

    /// A broadcast to every connection holding `role`.
    pub fn role(&self, role: impl Into<String>) -> Broadcast {
        self.all().role(role)
    }

    /// A broadcast to the connections of this node for which `predicate` holds
    /// (yoctopus' `multicast`). Predicates see local state, so this one stays on
    /// this node even with a multi-node backplane.
    pub fn filter(
        &self,
        predicate: impl Fn(&Connection) -> bool + Send + Sync + 'static,
    ) -> Broadcast {
        self.all().filter(predicate)
    }

    /// Whether the hub's backplane joins other nodes (processes): then rooms,
    /// listings and pushes span the cluster, and an application rule that must
    /// hold cluster-wide (one connection per user) needs [`Hub::list`] rather
    /// than this node's registry.
    pub fn spans_nodes(&self) -> bool {
        !self.inner.backplane.is_local()
    }

    /// Connection `id`, wherever it is, to send to:
    /// `hub.connection(id).send("notice", &payload)`.
    pub fn connection(&self, id: ConnectionId) -> ToConnection {
        ToConnection::new(self.clone(), id)
    }

    /// Sends to connection `id` wherever it is: on this node it waits for
    /// room like [`Peer::send`]; on another node it goes through the backplane.
    pub async fn send_to<T: Serialize + ?Sized>(
        &self,
        id: ConnectionId,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        if let Some(peer) = self.peer(id) {
            return peer.send(message, payload).await;
        }
        if id.is_local() {
            return Err(SendError::UnknownConnection(id));
        }
        let frame = self.encode(message, payload, None)?;
        let delivery = self
            .inner
            .backplane
            .push(&self.inner.registry, id, &frame)
            .await
            .map_err(HubError::from)?;
        match delivery {
            Delivery { delivered: 1, .. } => Ok(()),
            Delivery { closed_slow: 1, .. } => Err(SendError::SlowConsumer),
            Delivery {
                not_accepted: 1, ..
            } => Err(SendError::UnknownMessage {
                role: "(remote)".to_owned(),
                message: message.to_owned(),
            }),
            Delivery { gone: 1, .. } => Err(SendError::Disconnected),
            _ => Err(SendError::UnknownConnection(id)),
        }
    }

    /// Closes connection `id` with `frame` wherever it is, after the frames
    /// already queued for it (as [`Peer::close`] does on its node); a
    /// connection on another node is closed through the backplane.
    ///
    /// Fails with [`SendError::UnknownConnection`] when no node holds `id`,
    /// [`SendError::Disconnected`] when it is already closing, and
    /// [`SendError::Hub`] when the backplane could not carry the close.
    pub async fn close(&self, id: ConnectionId, frame: CloseFrame) -> Result<(), SendError> {
        let delivery = self
            .inner
            .backplane
            .close(&self.inner.registry, id, &frame)
            .await
            .map_err(HubError::from)?;
        match delivery {
            Delivery { delivered: 1, .. } => Ok(()),
            Delivery { gone: 1, .. } => Err(SendError::Disconnected),
            _ => Err(SendError::UnknownConnection(id)),
        }
    }

    /// Every connection of the network on every node (or the members of `room`),
    /// as the backplane gathers them.
    pub async fn list(&self, room: Option<&str>) -> Result<Listing, HubError> {
        Ok(self
            .inner
            .backplane
            .connections(&self.inner.registry, room)
            .await?)
    }

    pub(crate) fn backplane(&self) -> &dyn Backplane {
        &*self.inner.backplane
    }

    fn peer_of(&self, connection: Arc<Connection>) -> Option<Peer> {
        let role = connection.role_id()?;
        Some(Peer::new(connection, self.clone(), role))
    }

    fn collect(&self, connections: impl IntoIterator<Item = Arc<Connection>>) -> Vec<Peer> {
        connections
            .into_iter()
            .filter_map(|connection| self.peer_of(connection))
            .collect()
    }

    /// Validates `payload` for every remote role that accepts `message` (and
    /// matches `only_role`), then encodes the frame once.
    pub(crate) fn encode<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
        only_role: Option<&str>,
    ) -> Result<EncodedFrame, SendError> {
        Ok(self.validate(message, payload, only_role)?.encode(self))
    }

    /// Validates `payload` for every remote role that accepts `message` (and
    /// matches `only_role`); fails when no such role exists.
    pub(crate) fn validate<'m, T: Serialize + ?Sized>(
        &self,
        message: &'m str,
        payload: &T,
        only_role: Option<&str>,
    ) -> Result<Validated<'m>, SendError> {
        let payload = serde_json::to_value(payload)?;
        let contract = &self.inner.contract;
        let mut roles = Vec::new();
        for role in contract.role_ids().filter(|&r| r != contract.host()) {
            let name = contract.role_name(role);
            if only_role.is_some_and(|only| only != name) {
                continue;
            }
            if let Some(spec) = contract.message(role, message) {
                spec.check_payload(&payload)
                    .map_err(|e| SendError::InvalidPayload(e.about(message)))?;
                roles.push(name.to_owned());
            }
        }
        if roles.is_empty() {
            return Err(SendError::UnknownMessage {
                role: only_role.unwrap_or("*").to_owned(),
                message: message.to_owned(),
            });
        }
        Ok(Validated {
            message,
            payload,
            roles,
        })
    }
}

/// A payload that passed the schema of every role it is for, not yet encoded.
pub(crate) struct Validated<'m> {
    message: &'m str,
    payload: serde_json::Value,
    roles: Vec<String>,
}

impl Validated<'_> {
    /// The frame, encoded once.
    pub(crate) fn encode(self, hub: &Hub) -> EncodedFrame {
        let host = hub.inner.contract.host_name();
        let bytes = crate::runtime::encode_message(host, self.message, &self.payload);
        EncodedFrame::new(self.message, bytes, self.roles)
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("network", &self.network())
            .field("connections", &self.len())
            .field("backplane", &self.inner.backplane)
            .finish()
    }
}
