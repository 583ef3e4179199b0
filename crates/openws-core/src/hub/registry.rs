//! This node's live connections and rooms, and delivery to them.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use indexmap::IndexMap;

use super::HubError;
use super::Labels;
use super::backplane::{ConnectionInfo, Delivery, EncodedFrame, Target};
use crate::contract::{Contract, RoleId};
use crate::runtime::{CloseFrame, Connection, ConnectionId, Offer};

/// The live connections of one network on this node, by id and by room.
///
/// Cheap to clone (clones share the same registry). Handlers reach it
/// through the [`Hub`](crate::Hub); a [`Backplane`](super::Backplane) gets it
/// to deliver frames to this node's connections.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

struct Inner {
    contract: Arc<Contract>,
    connections: RwLock<HashMap<ConnectionId, Arc<Connection>>>,
    rooms: RwLock<HashMap<Arc<str>, Members>>,
    joins: AtomicU64,
}

/// A room's members; the number orders them by when they joined.
type Members = IndexMap<ConnectionId, (u64, Arc<Connection>)>;

impl Registry {
    pub(crate) fn new(contract: Arc<Contract>) -> Self {
        Self {
            inner: Arc::new(Inner {
                contract,
                connections: RwLock::default(),
                rooms: RwLock::default(),
                joins: AtomicU64::new(0),
            }),
        }
    }

    /// The network's name.
    pub fn network(&self) -> &str {
        self.inner.contract.network().name()
    }

    /// How many connections are live.
    pub fn len(&self) -> usize {
        self.connections().len()
    }

    /// Whether no connection is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A live connection by id.
    pub fn get(&self, id: ConnectionId) -> Option<Arc<Connection>> {
        self.connections().get(&id).cloned()
    }

    /// Every live connection, in no particular order.
    pub fn all(&self) -> Vec<Arc<Connection>> {
        self.connections().values().cloned().collect()
    }

    /// The members of `room`, in the order they joined.
    pub fn members(&self, room: &str) -> Vec<Arc<Connection>> {
        let rooms = self.rooms();
        let Some(members) = rooms.get(room) else {
            return Vec::new();
        };
        let mut ordered: Vec<&(u64, Arc<Connection>)> = members.values().collect();
        ordered.sort_unstable_by_key(|(joined, _)| *joined);
        ordered
            .into_iter()
            .map(|(_, connection)| Arc::clone(connection))
            .collect()
    }

    /// Whether `room` has members on this node.
    pub fn has_room(&self, room: &str) -> bool {
        self.rooms().contains_key(room)
    }

    /// The names of the rooms that have members.
    pub fn room_names(&self) -> Vec<String> {
        self.rooms().keys().map(|room| room.to_string()).collect()
    }

    /// Queues `frame` for every connection `target` matches, without waiting.
    pub fn deliver(&self, target: &Target, frame: &EncodedFrame) -> Delivery {
        match target.rooms.as_slice() {
            [] => self.deliver_among(target, frame, self.connections().values()),
            [room] => match self.rooms().get(room.as_str()) {
                Some(members) => {
                    self.deliver_among(target, frame, members.values().map(|(_, c)| c))
                }
                None => Delivery::default(),
            },
            rooms => {
                let all = self.rooms();
                let mut seen = HashSet::new();
                let members = rooms
                    .iter()
                    .filter_map(|room| all.get(room.as_str()))
                    .flat_map(|members| members.iter())
                    .filter(|(id, _)| seen.insert(**id))
                    .map(|(_, (_, connection))| connection);
                self.deliver_among(target, frame, members)
            }
        }
    }

    /// Whether `target` matches at least one connection (whatever its role receives).
    pub(crate) fn matches_any(&self, target: &Target) -> bool {
        let wanted_role = target.role.as_deref().map(|name| self.role_of(name));
        let matches = |connection: &Arc<Connection>| {
            !target.excludes(connection.id())
                && wanted_role
                    .is_none_or(|wanted| wanted.is_some() && connection.role_id() == wanted)
        };
        if target.rooms.is_empty() {
            return self.connections().values().any(matches);
        }
        let rooms = self.rooms();
        target
            .rooms
            .iter()
            .filter_map(|room| rooms.get(room.as_str()))
            .any(|members| members.values().any(|(_, c)| matches(c)))
    }

    /// Queues `frame` for those of `candidates` that hold a matching role and
    /// are not excepted by `target` (its rooms are not checked here).
    pub(crate) fn deliver_among<'c>(
        &self,
        target: &Target,
        frame: &EncodedFrame,
        candidates: impl Iterator<Item = &'c Arc<Connection>>,
    ) -> Delivery {
        let accepts = self.accepting_roles(frame);
        let wanted_role = match &target.role {
            Some(name) => match self.inner.contract.role(name) {
                Some(id) => Some(id),
                None => return Delivery::default(),
            },
            None => None,
        };
        let mut delivery = Delivery::default();
        for connection in candidates {
            let Some(role) = connection.role_id() else {
                continue;
            };
            if wanted_role.is_some_and(|wanted| wanted != role) || target.excludes(connection.id())
            {
                continue;
            }
            if accepts.get(role).copied().unwrap_or(false) {
                count(&mut delivery, connection.offer(frame.bytes.clone()));
            } else {
                delivery.not_accepted += 1;
            }
        }
        delivery
    }

    /// Queues `frame` for connection `to` without waiting (a full queue closes it with 1008).
    pub fn push(&self, to: ConnectionId, frame: &EncodedFrame) -> Delivery {
        let mut delivery = Delivery::default();
        match self.get(to) {
            None => delivery.unknown += 1,
            Some(connection) => {
                let accepts = self.accepting_roles(frame);
                match connection.role_id() {
                    Some(role) if accepts.get(role).copied().unwrap_or(false) => {
                        count(&mut delivery, connection.offer(frame.bytes.clone()));
                    }
                    _ => delivery.not_accepted += 1,
                }
            }
        }
        delivery
    }

    /// Closes connection `id` with `frame` after the frames already queued for
    /// it (counted as delivered); one already closing is counted as gone.
    pub fn close(&self, id: ConnectionId, frame: CloseFrame) -> Delivery {
        let mut delivery = Delivery::default();
        match self.get(id) {
            None => delivery.unknown += 1,
            Some(connection) if connection.is_open() => {
                connection.close(frame);
                delivery.delivered += 1;
            }
            Some(_) => delivery.gone += 1,
        }
        delivery
    }

    /// The connections of this node (or the members of `room`) as listings show them.
    pub fn list(&self, room: Option<&str>) -> Vec<ConnectionInfo> {
        let connections = match room {
            Some(room) => self.members(room),
            None => {
                let mut all = self.all();
                all.sort_unstable_by_key(|c| c.connected_at());
                all
            }
        };
        connections.iter().map(|c| self.info(c)).collect()
    }

    /// One connection as listings show it.
    pub fn info(&self, connection: &Connection) -> ConnectionInfo {
        ConnectionInfo {
            id: connection.id(),
            network: self.network().to_owned(),
            role: connection.role().unwrap_or_default().to_owned(),
            rooms: connection.rooms(),
            connected_since: humantime::format_rfc3339_millis(connection.connected_at())
                .to_string(),
            frames_in: connection.frames_in(),
            frames_out: connection.frames_out(),
            queue_depth: connection.queue_depth(),
            labels: connection.get::<Labels>().unwrap_or_default().into_map(),
        }
    }

    pub(crate) fn register(&self, connection: &Arc<Connection>) {
        self.connections_mut()
            .insert(connection.id(), Arc::clone(connection));
    }

    /// Removes a closed connection from the registry and from each of its rooms
    /// (looked up through the connection, so no room is scanned in vain).
    pub(crate) fn unregister(&self, connection: &Connection) {
        self.connections_mut().remove(&connection.id());
        let mut rooms = self.rooms_mut();
        let mut joined = connection.rooms_locked();
        for room in joined.drain(..) {
            remove_member(&mut rooms, &room, connection.id());
        }
    }

    /// Puts `connection` in `room`; `Ok(true)` when that created the room.
    pub(crate) fn join(
        &self,
        connection: &Arc<Connection>,
        room: &str,
        max_rooms: usize,
        mode: JoinMode,
    ) -> Result<bool, HubError> {
        let mut rooms = self.rooms_mut();
        if !self.connections().contains_key(&connection.id()) {
            return Err(HubError::NotConnected(connection.id()));
        }
        let mut joined = connection.rooms_locked();
        let existing = rooms.get_key_value(room).map(|(name, _)| Arc::clone(name));
        match (mode, &existing) {
            (JoinMode::Create, Some(_)) => return Err(HubError::RoomExists(room.to_owned())),
            (JoinMode::Existing, None) => return Err(HubError::NoSuchRoom(room.to_owned())),
            _ => {}
        }
        if joined.iter().any(|r| &**r == room) {
            return Ok(false);
        }
        if joined.len() >= max_rooms {
            return Err(HubError::TooManyRooms {
                connection: connection.id(),
                max: max_rooms,
            });
        }
        let name = existing.unwrap_or_else(|| Arc::from(room));
        let members = rooms.entry(Arc::clone(&name)).or_default();
        let created = members.is_empty();
        let order = self.inner.joins.fetch_add(1, Ordering::Relaxed);
        members.insert(connection.id(), (order, Arc::clone(connection)));
        joined.push(name);
        Ok(created)
    }

    /// Takes connection `id` out of `room`; `false` if it was not in it.
    pub(crate) fn leave(&self, id: ConnectionId, room: &str) -> bool {
        let Some(connection) = self.get(id) else {
            return false;
        };
        let mut rooms = self.rooms_mut();
        let mut joined = connection.rooms_locked();
        let before = joined.len();
        joined.retain(|r| &**r != room);
        if joined.len() == before {
            return false;
        }
        remove_member(&mut rooms, room, id);
        true
    }

    /// Which roles receive `frame`, indexed by role id.
    fn accepting_roles(&self, frame: &EncodedFrame) -> Vec<bool> {
        let contract = &self.inner.contract;
        let mut accepts = vec![false; contract.role_ids().len()];
        for role in frame.roles.iter().filter_map(|name| contract.role(name)) {
            accepts[role] = true;
        }
        accepts
    }

    pub(crate) fn role_of(&self, name: &str) -> Option<RoleId> {
        self.inner.contract.role(name)
    }

    fn connections(&self) -> RwLockReadGuard<'_, HashMap<ConnectionId, Arc<Connection>>> {
        self.inner
            .connections
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn connections_mut(&self) -> RwLockWriteGuard<'_, HashMap<ConnectionId, Arc<Connection>>> {
        self.inner
            .connections
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn rooms(&self) -> RwLockReadGuard<'_, HashMap<Arc<str>, Members>> {
        self.inner.rooms.read().unwrap_or_else(|e| e.into_inner())
    }

    fn rooms_mut(&self) -> RwLockWriteGuard<'_, HashMap<Arc<str>, Members>> {
        self.inner.rooms.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a join may create the room, must create it, or must find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinMode {
    /// Join, creating the room if it has no members.
    Any,
    /// Create the room; it must have no members.
    Create,
    /// Join a room that has members.
    Existing,
}

/// Removes a member, and the room once it is empty.
fn remove_member(rooms: &mut HashMap<Arc<str>, Members>, room: &str, id: ConnectionId) {
    if let Some(members) = rooms.get_mut(room) {
        members.swap_remove(&id);
        if members.is_empty() {
            rooms.remove(room);
        }
    }
}

fn count(delivery: &mut Delivery, offer: Offer) {
    match offer {
        Offer::Queued => delivery.delivered += 1,
        Offer::ClosedSlow => delivery.closed_slow += 1,
        Offer::Gone => delivery.gone += 1,
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("network", &self.network())
            .field("connections", &self.len())
            .finish()
    }
}
