//! Broadcast operators: whom to send to, built step by step, then one send.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use super::backplane::{Delivery, Target};
use super::{Hub, HubError};
use crate::runtime::{Connection, ConnectionId, SendError};

type Predicate = Arc<dyn Fn(&Connection) -> bool + Send + Sync>;

/// A message on its way to many connections: start with [`Hub::to`],
/// [`Hub::all`], [`Hub::role`] or [`Hub::filter`], narrow it, then [`send`](Self::send).
///
/// Rooms, exceptions and the role are plain data ([`Target`]) that a
/// multi-node backplane carries to other nodes; a predicate
/// ([`filter`](Self::filter)) only runs on this node.
#[must_use = "a broadcast does nothing until it is sent"]
pub struct Broadcast {
    hub: Hub,
    target: Target,
    predicate: Option<Predicate>,
}

impl Broadcast {
    pub(super) fn new(hub: Hub) -> Self {
        Self {
            hub,
            target: Target::all(),
            predicate: None,
        }
    }

    /// Also reaches the members of `room` (each connection at most once).
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.target.rooms.push(room.into());
        self
    }

    /// Leaves connection `id` out, typically the sender.
    pub fn except(mut self, id: ConnectionId) -> Self {
        self.target.except.push(id);
        self
    }

    /// Only reaches connections holding `role`.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.target.role = Some(role.into());
        self
    }

    /// Only reaches this node's connections for which `predicate` holds
    /// (several filters must all hold).
    pub fn filter(
        mut self,
        predicate: impl Fn(&Connection) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicate = Some(match self.predicate.take() {
            None => Arc::new(predicate),
            Some(first) => Arc::new(move |c: &Connection| first(c) && predicate(c)),
        });
        self
    }

    /// Whom this broadcast reaches, as data.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Validates `payload` once per receiving role, encodes the frame once,
    /// and queues it for every matching connection without waiting.
    ///
    /// Fails without sending when no role receives `message` or the payload
    /// fails a receiving role's schema. Otherwise the [`Delivery`] says how
    /// many were reached, closed as slow consumers (1008), already gone, or
    /// hold a role that does not receive the message.
    pub async fn send<T: Serialize + ?Sized>(
        self,
        message: &str,
        payload: &T,
    ) -> Result<Delivery, SendError> {
        let validated = self
            .hub
            .validate(message, payload, self.target.role.as_deref())?;
        let registry = self.hub.registry();
        let local = self.hub.backplane().is_local();
        if local && self.predicate.is_none() && !registry.matches_any(&self.target) {
            return Ok(Delivery::default());
        }
        let frame = validated.encode(&self.hub);
        let Some(predicate) = self.predicate else {
            return self
                .hub
                .backplane()
                .broadcast(registry, &self.target, &frame)
                .await
                .map_err(|e| SendError::Hub(HubError::from(e)));
        };
        let in_rooms = |c: &Connection| {
            self.target.rooms.is_empty() || self.target.rooms.iter().any(|room| c.in_room(room))
        };
        let candidates = registry.all();
        let matched = candidates.iter().filter(|c| predicate(c) && in_rooms(c));
        Ok(registry.deliver_among(&self.target, &frame, matched))
    }
}

impl fmt::Debug for Broadcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Broadcast")
            .field("target", &self.target)
            .field("filtered", &self.predicate.is_some())
            .finish()
    }
}
