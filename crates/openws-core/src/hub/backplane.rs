//! The seam every operation that crosses connections goes through, so that a
//! multi-node backplane (Redis, NATS) plugs in without touching handlers.

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::registry::Registry;
use crate::runtime::{CloseFrame, ConnectionId};

/// Whom a broadcast reaches: plain data, so a backplane can carry it to other nodes.
///
/// Empty `rooms` means every connection of the network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Target {
    /// Members of any of these rooms (every connection when empty).
    pub rooms: Vec<String>,
    /// Connections left out.
    pub except: Vec<ConnectionId>,
    /// Only connections holding this role.
    pub role: Option<String>,
}

impl Target {
    /// Every connection of the network.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether `id` is left out.
    pub fn excludes(&self, id: ConnectionId) -> bool {
        self.except.contains(&id)
    }
}

/// A message ready for delivery: validated once per receiving role, encoded once.
///
/// Every receiver's queue shares [`EncodedFrame::bytes`]. Only connections
/// holding one of [`EncodedFrame::roles`] receive it: those are the roles
/// that accept the message and whose schema the payload passed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodedFrame {
    /// The message name.
    pub message: String,
    /// The whole text frame, as sent on the wire.
    pub bytes: Bytes,
    /// The roles it was validated for.
    pub roles: Vec<String>,
}

impl EncodedFrame {
    /// A frame that was validated for `roles` and encoded as `bytes`; a backplane
    /// rebuilds received frames with it (a receiving node does not re-validate).
    pub fn new(message: impl Into<String>, bytes: Bytes, roles: Vec<String>) -> Self {
        Self {
            message: message.into(),
            bytes,
            roles,
        }
    }
}

/// What happened to a message sent to many connections (or one, by id), or
/// to a close by id (`delivered`: the connection is closing).
///
/// Nobody is skipped silently: each matching connection is counted once, in one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Delivery {
    /// Queued for sending.
    pub delivered: usize,
    /// Their outbound queue was full: they are being closed with 1008.
    pub closed_slow: usize,
    /// Already closing or closed.
    pub gone: usize,
    /// Their role does not receive this message.
    pub not_accepted: usize,
    /// Addressed by an id no node knows.
    pub unknown: usize,
}

impl Delivery {
    /// Adds another node's (or room's) counts.
    pub fn merge(&mut self, other: Delivery) {
        self.delivered += other.delivered;
        self.closed_slow += other.closed_slow;
        self.gone += other.gone;
        self.not_accepted += other.not_accepted;
        self.unknown += other.unknown;
    }
}

/// A connection as the management endpoints and cluster-wide listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// Its id.
    pub id: ConnectionId,
    /// Its network.
    pub network: String,
    /// Its role.
    pub role: String,
    /// Its rooms, in the order it joined them.
    pub rooms: Vec<String>,
    /// When it connected (RFC 3339, UTC).
    pub connected_since: String,
    /// Frames received from it.
    pub frames_in: u64,
    /// Frames sent to it.
    pub frames_out: u64,
    /// Frames waiting in its outbound queue.
    pub queue_depth: usize,
    /// Its [`Labels`](super::Labels): what the application shows of it on every node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// Connections gathered from every node, and the nodes that did not answer in time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Listing {
    /// The connections found.
    pub connections: Vec<ConnectionInfo>,
    /// Nodes that did not answer within the backplane's timeout.
    pub unanswered_nodes: Vec<String>,
}

/// Why a backplane could not carry an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backplane: {0}")]
pub struct BackplaneError(pub String);

/// Carries hub operations between this node's connections and, for a
/// multi-node backplane, the other nodes'.
///
/// Each method gets this node's [`Registry`] and must deliver to its local
/// connections as well as forward to other nodes. [`LocalBackplane`], the
/// default, serves one process. Frames arrive validated and encoded
/// ([`EncodedFrame`]): a backplane delivers them as they are.
pub trait Backplane: Send + Sync + fmt::Debug + 'static {
    /// Called once with this node's registry when the bindings are built, so a
    /// multi-node backplane can deliver what other nodes send.
    fn attach(&self, local: Registry) {
        let _ = local;
    }

    /// Whether every connection lives in this process. Then a broadcast that
    /// matches no local connection is not encoded at all.
    fn is_local(&self) -> bool {
        false
    }

    /// Delivers `frame` to every connection `target` matches, on every node.
    fn broadcast<'a>(
        &'a self,
        local: &'a Registry,
        target: &'a Target,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>>;

    /// Delivers `frame` to connection `to`, on whichever node holds it.
    fn push<'a>(
        &'a self,
        local: &'a Registry,
        to: ConnectionId,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>>;

    /// Closes connection `id` with `frame`, after the frames already queued
    /// for it, on whichever node holds it; the [`Delivery`] counts it as
    /// `delivered` (closing now), `gone` (already closing) or `unknown`.
    fn close<'a>(
        &'a self,
        local: &'a Registry,
        id: ConnectionId,
        frame: &'a CloseFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>>;

    /// Lists the connections of every node, or only the members of `room`.
    fn connections<'a>(
        &'a self,
        local: &'a Registry,
        room: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Listing, BackplaneError>>;

    /// Whether `room` has members on any node; what
    /// [`Hub::create_room`](super::Hub::create_room) and
    /// [`Hub::join_existing`](super::Hub::join_existing) ask before they decide.
    fn room_exists<'a>(
        &'a self,
        local: &'a Registry,
        room: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackplaneError>>;
}

/// The in-process backplane: every connection lives in this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalBackplane;

impl Backplane for LocalBackplane {
    fn is_local(&self) -> bool {
        true
    }

    fn broadcast<'a>(
        &'a self,
        local: &'a Registry,
        target: &'a Target,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(std::future::ready(Ok(local.deliver(target, frame))))
    }

    fn push<'a>(
        &'a self,
        local: &'a Registry,
        to: ConnectionId,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(std::future::ready(Ok(local.push(to, frame))))
    }

    fn close<'a>(
        &'a self,
        local: &'a Registry,
        id: ConnectionId,
        frame: &'a CloseFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(std::future::ready(Ok(local.close(id, frame.clone()))))
    }

    fn connections<'a>(
        &'a self,
        local: &'a Registry,
        room: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Listing, BackplaneError>> {
        let listing = Listing {
            connections: local.list(room),
            unanswered_nodes: Vec::new(),
        };
        Box::pin(std::future::ready(Ok(listing)))
    }

    fn room_exists<'a>(
        &'a self,
        local: &'a Registry,
        room: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackplaneError>> {
        Box::pin(std::future::ready(Ok(local.has_room(room))))
    }
}
