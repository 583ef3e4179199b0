//! One WebSocket connection as every part of the runtime shares it: its id,
//! role, outbound queue, per-connection state, rooms and counters.

use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::peer::SendError;
use super::queue::{Queue, TrySendError};
use super::wire;
use crate::contract::{Contract, RoleId};

/// A globally unique connection id: a random id of this process (its node)
/// and a sequence number within it, so ids stay unique across processes.
///
/// Its string form, `<node as 16 hex digits>-<sequence in hex>`, is stable:
/// it is what logs, the management endpoints and backplanes use.
///
/// ```
/// use openws_core::ConnectionId;
///
/// let id: ConnectionId = "00000000deadbeef-2a".parse()?;
/// assert_eq!(id.node(), 0xdead_beef);
/// assert_eq!(id.sequence(), 42);
/// assert_eq!(id.to_string(), "00000000deadbeef-2a");
/// # Ok::<(), openws_core::runtime::InvalidConnectionId>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId {
    node: u64,
    sequence: u64,
}

impl ConnectionId {
    /// A fresh id on this process.
    pub(crate) fn next() -> Self {
        static SEQUENCE: AtomicU64 = AtomicU64::new(1);
        Self {
            node: Self::this_node(),
            sequence: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// This process's random node id, shared by every connection it serves.
    pub fn this_node() -> u64 {
        static NODE: OnceLock<u64> = OnceLock::new();
        *NODE.get_or_init(|| {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            // `RandomState` is seeded from the operating system's randomness.
            std::collections::hash_map::RandomState::new().hash_one((std::process::id(), now))
        })
    }

    /// The node (process) the connection belongs to.
    pub fn node(self) -> u64 {
        self.node
    }

    /// The connection's sequence number on its node.
    pub fn sequence(self) -> u64 {
        self.sequence
    }

    /// Whether the connection belongs to this process.
    pub fn is_local(self) -> bool {
        self.node == Self::this_node()
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}-{:x}", self.node, self.sequence)
    }
}

/// A string that is not a [`ConnectionId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a connection id (expected `<16 hex digits>-<hex>`)")]
pub struct InvalidConnectionId(String);

impl FromStr for ConnectionId {
    type Err = InvalidConnectionId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidConnectionId(text.chars().take(64).collect());
        let (node, sequence) = text.split_once('-').ok_or_else(invalid)?;
        if node.len() != 16 || sequence.is_empty() || sequence.len() > 16 {
            return Err(invalid());
        }
        Ok(Self {
            node: u64::from_str_radix(node, 16).map_err(|_| invalid())?,
            sequence: u64::from_str_radix(sequence, 16).map_err(|_| invalid())?,
        })
    }
}

impl Serialize for ConnectionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConnectionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A WebSocket close code (RFC 6455) with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code: 1000 normal, 1001 going away, 1002 protocol error, 1007 invalid data,
    /// 1008 policy, 1009 too big, 1011 internal.
    pub code: u16,
    /// A short reason for humans.
    pub reason: String,
}

impl CloseFrame {
    /// 1000: normal closure.
    pub const NORMAL: u16 = 1000;
    /// 1001: the server is going away.
    pub const GOING_AWAY: u16 = 1001;
    /// 1002: the peer broke the WebSocket protocol (RFC 6455 framing).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// 1007: a text message was not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// 1008: the peer broke a policy (for instance it did not read its frames in time).
    pub const POLICY: u16 = 1008;
    /// 1009: a frame was larger than allowed.
    pub const TOO_BIG: u16 = 1009;
    /// 1011: the server hit an internal error.
    pub const INTERNAL: u16 = 1011;

    /// A close frame with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// 1008 for a peer whose outbound queue stayed full.
    pub(crate) fn slow_consumer() -> Self {
        Self::new(
            Self::POLICY,
            "outbound queue full: frames were not read in time",
        )
    }
}

/// What the transport must write next to a connection's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outgoing {
    /// A text frame (UTF-8 JSON).
    Text(Bytes),
    /// A close frame; nothing follows it.
    Close(CloseFrame),
    /// A keepalive ping; the peer answers with a pong.
    Ping,
}

/// Where a connection is in its life, as its outbound side sees it.
mod phase {
    /// Frames are accepted.
    pub(super) const OPEN: u8 = 0;
    /// A close was asked for: queued frames go out first, then the close frame.
    pub(super) const DRAINING: u8 = 1;
    /// The connection must close now, whatever is queued (slow consumer, abort).
    pub(super) const ABORTING: u8 = 2;
    /// The session ended.
    pub(super) const CLOSED: u8 = 3;
}

/// How a connection's peer writes payloads, decided by its first frame.
mod payload_form {
    /// No frame yet.
    pub(super) const UNDECIDED: u8 = 0;
    /// JSON objects, as the protocol has them.
    pub(super) const OBJECTS: u8 = 1;
    /// Strings holding JSON, as clients of the older JS runtime send (and expect) them.
    pub(super) const STRINGS: u8 = 2;
}

/// The outcome of offering a frame without waiting, as a broadcast does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offer {
    /// The frame is queued.
    Queued,
    /// The queue was full: the connection is being closed with 1008.
    ClosedSlow,
    /// The connection is closing or closed.
    Gone,
}

/// A live connection, shared by its session, the hub and every [`Peer`](crate::Peer)
/// handle on it.
///
/// Besides its id, role and rooms, a connection carries typed state that
/// handlers, hooks and guards read and write (one value per type), and
/// counters for the management endpoints.
///
/// ```
/// # use openws_core::runtime::Connection;
/// #[derive(Clone, PartialEq, Debug)]
/// struct UserId(String);
///
/// fn remember(connection: &Connection) {
///     connection.insert(UserId("alice".into()));
///     assert_eq!(connection.get::<UserId>(), Some(UserId("alice".into())));
/// }
/// ```
pub struct Connection {
    id: ConnectionId,
    contract: Arc<Contract>,
    role: OnceLock<RoleId>,
    frames: Queue,
    send_timeout: Duration,
    phase: AtomicU8,
    payload_form: AtomicU8,
    close_frame: Mutex<Option<CloseFrame>>,
    phase_changed: Notify,
    admitted: http::Extensions,
    state: Mutex<http::Extensions>,
    pub(crate) rooms: Mutex<Vec<Arc<str>>>,
    connected_at: SystemTime,
    frames_in: AtomicU64,
    frames_out: AtomicU64,
}

impl Connection {
    /// A connection with an outbound queue of `queue` frames, and the outbox its transport drains.
    pub(crate) fn new(
        contract: Arc<Contract>,
        queue: usize,
        send_timeout: Duration,
        admitted: http::Extensions,
    ) -> (Arc<Self>, Outbox) {
        let connection = Arc::new(Self {
            id: ConnectionId::next(),
            contract,
            role: OnceLock::new(),
            frames: Queue::new(queue),
            send_timeout,
            phase: AtomicU8::new(phase::OPEN),
            payload_form: AtomicU8::new(payload_form::UNDECIDED),
            close_frame: Mutex::new(None),
            phase_changed: Notify::new(),
            admitted,
            state: Mutex::new(http::Extensions::new()),
            rooms: Mutex::new(Vec::new()),
            connected_at: SystemTime::now(),
            frames_in: AtomicU64::new(0),
            frames_out: AtomicU64::new(0),
        });
        let outbox = Outbox {
            connection: Arc::clone(&connection),
        };
        (connection, outbox)
    }

    /// The connection's id.
    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// The role it holds, once established.
    pub fn role(&self) -> Option<&str> {
        self.role_id().map(|id| self.contract.role_name(id))
    }

    pub(crate) fn role_id(&self) -> Option<RoleId> {
        self.role.get().copied()
    }

    /// Sets the role once; `false` if another role was set before.
    pub(crate) fn establish(&self, role: RoleId) -> bool {
        *self.role.get_or_init(|| role) == role
    }

    pub(crate) fn contract(&self) -> &Arc<Contract> {
        &self.contract
    }

    /// The name of the network the connection belongs to.
    pub fn network(&self) -> &str {
        self.contract.network().name()
    }

    /// When the connection was admitted.
    pub fn connected_at(&self) -> SystemTime {
        self.connected_at
    }

    /// The rooms it is in, in the order it joined them.
    pub fn rooms(&self) -> Vec<String> {
        self.rooms_locked()
            .iter()
            .map(|room| room.to_string())
            .collect()
    }

    /// Whether it is in `room`.
    pub fn in_room(&self, room: &str) -> bool {
        self.rooms_locked().iter().any(|r| &**r == room)
    }

    pub(crate) fn rooms_locked(&self) -> MutexGuard<'_, Vec<Arc<str>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Frames received from the peer.
    pub fn frames_in(&self) -> u64 {
        self.frames_in.load(Ordering::Relaxed)
    }

    /// Frames handed to the transport for the peer.
    pub fn frames_out(&self) -> u64 {
        self.frames_out.load(Ordering::Relaxed)
    }

    /// Frames waiting in the outbound queue.
    pub fn queue_depth(&self) -> usize {
        self.frames.len()
    }

    /// Whether the peer gets payloads as strings holding JSON: it sent its
    /// first frame's payload that way, as clients of the older JS runtime do
    /// (they `JSON.parse` what they receive). Frames sent before its first
    /// frame carry objects.
    pub fn wants_string_payloads(&self) -> bool {
        self.payload_form.load(Ordering::Relaxed) == payload_form::STRINGS
    }

    /// Records how the peer writes payloads, from its first frame only.
    pub(crate) fn note_payload_form(&self, payload: &serde_json::value::RawValue) {
        if self.payload_form.load(Ordering::Relaxed) != payload_form::UNDECIDED {
            return;
        }
        let form = if payload.get().starts_with('"') {
            payload_form::STRINGS
        } else {
            payload_form::OBJECTS
        };
        let _ = self.payload_form.compare_exchange(
            payload_form::UNDECIDED,
            form,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    pub(crate) fn count_inbound(&self) {
        self.frames_in.fetch_add(1, Ordering::Relaxed);
    }

    /// A value the connect hook attached with
    /// [`Admission::with_extension`](crate::Admission::with_extension).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.admitted.get::<T>()
    }

    /// A copy of this connection's state value of type `T`, if set.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.state_locked().get::<T>().cloned()
    }

    /// Whether a state value of type `T` is set.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.state_locked().get::<T>().is_some()
    }

    /// Sets the state value of type `T`, returning the previous one.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.state_locked().insert(value)
    }

    /// Removes the state value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.state_locked().remove::<T>()
    }

    /// Reads or changes the state value of type `T` in place, under the state's lock
    /// (keep `f` short and do not call back into this connection's state from it).
    pub fn with<T: Clone + Send + Sync + 'static, R>(
        &self,
        f: impl FnOnce(Option<&mut T>) -> R,
    ) -> R {
        f(self.state_locked().get_mut::<T>())
    }

    fn state_locked(&self) -> MutexGuard<'_, http::Extensions> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether frames are still accepted (the connection is neither closing nor closed).
    pub fn is_open(&self) -> bool {
        self.phase.load(Ordering::Acquire) == phase::OPEN && !self.frames.is_closed()
    }

    /// Queues a frame, waiting up to the send timeout for room; a peer that
    /// stays full that long is disconnected with 1008.
    pub(crate) async fn push(&self, frame: Bytes) -> Result<(), SendError> {
        if !self.is_open() {
            return Err(SendError::Disconnected);
        }
        // With room in the queue (the usual case) no timer is needed.
        let frame = match self.frames.try_send(frame) {
            Ok(()) => {
                // Yield now and then, as a waiting send would: a handler sending to
                // many peers must not hold its worker thread for the whole loop.
                tokio::task::coop::consume_budget().await;
                return Ok(());
            }
            Err(TrySendError::Closed(_)) => return Err(SendError::Disconnected),
            Err(TrySendError::Full(frame)) => frame,
        };
        match tokio::time::timeout(self.send_timeout, self.frames.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(SendError::Disconnected),
            Err(_) => {
                self.abort(CloseFrame::slow_consumer());
                Err(SendError::SlowConsumer)
            }
        }
    }

    /// Queues a frame if there is room now; never waits and never closes.
    pub(crate) fn try_push(&self, frame: Bytes) -> Result<(), SendError> {
        if !self.is_open() {
            return Err(SendError::Disconnected);
        }
        self.frames.try_send(frame).map_err(|error| match error {
            TrySendError::Full(_) => SendError::Full,
            TrySendError::Closed(_) => SendError::Disconnected,
        })
    }

    /// Queues a frame without waiting; a full queue closes the connection with 1008.
    pub(crate) fn offer(&self, frame: Bytes) -> Offer {
        if !self.is_open() {
            return Offer::Gone;
        }
        match self.frames.try_send(frame) {
            Ok(()) => Offer::Queued,
            Err(TrySendError::Full(_)) => {
                self.abort(CloseFrame::slow_consumer());
                Offer::ClosedSlow
            }
            Err(TrySendError::Closed(_)) => Offer::Gone,
        }
    }

    /// Closes after the frames already queued; later sends fail.
    pub(crate) fn close(&self, frame: CloseFrame) {
        self.shift(phase::DRAINING, frame);
    }

    /// Closes now: queued frames are dropped, and the transport gives up on a
    /// socket write that does not complete.
    pub(crate) fn abort(&self, frame: CloseFrame) {
        self.shift(phase::ABORTING, frame);
    }

    /// Marks the session over: every later send fails.
    pub(crate) fn mark_closed(&self) {
        self.phase.store(phase::CLOSED, Ordering::Release);
        self.phase_changed.notify_waiters();
    }

    /// Moves to a later phase, recording its close frame.
    fn shift(&self, to: u8, frame: CloseFrame) {
        let mut close_frame = self.close_frame.lock().unwrap_or_else(|e| e.into_inner());
        let from = self.phase.load(Ordering::Acquire);
        if from >= to {
            return;
        }
        tracing::debug!(connection = %self.id, code = frame.code, reason = %frame.reason, "close requested");
        *close_frame = Some(frame);
        self.phase.store(to, Ordering::Release);
        drop(close_frame);
        self.phase_changed.notify_waiters();
    }

    pub(crate) fn take_close_frame(&self) -> Option<CloseFrame> {
        self.close_frame
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Resolves once the connection must close at once (see [`Connection::abort`]).
    pub(crate) async fn aborted(&self) {
        self.reached(phase::ABORTING).await;
    }

    /// Resolves once a close was asked for, gracefully or not.
    pub(crate) async fn closing(&self) {
        self.reached(phase::DRAINING).await;
    }

    async fn reached(&self, wanted: u8) {
        loop {
            let changed = self.phase_changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if self.phase.load(Ordering::Acquire) >= wanted {
                return;
            }
            changed.await;
        }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("network", &self.network())
            .field("role", &self.role())
            .finish_non_exhaustive()
    }
}

/// The frames a connection's transport must write, in order.
///
/// Adapters drain it into the socket; tests read it directly.
pub struct Outbox {
    connection: Arc<Connection>,
}

impl Outbox {
    /// The next frame to write; `None` once the close frame was handed out or
    /// the session ended with nothing left to write.
    ///
    /// After [`Peer::close`](crate::Peer::close) the frames already queued come
    /// first, then the close frame; after [`Peer::abort`](crate::Peer::abort)
    /// (or the slow-consumer policy) the close frame comes at once.
    pub async fn recv(&mut self) -> Option<Outgoing> {
        // The usual case, a frame waiting on an open connection, needs no waiter.
        if let Some(next) = self.try_recv() {
            return Some(next);
        }
        let connection = Arc::clone(&self.connection);
        loop {
            let changed = connection.phase_changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if let Some(next) = self.ready() {
                return next;
            }
            if let Some(frame) = connection.frames.try_recv() {
                return Some(self.text(frame));
            }
            tokio::select! {
                biased;
                () = &mut changed => {}
                () = connection.frames.filled() => {}
            }
        }
    }

    /// The next frame if one is ready now.
    pub fn try_recv(&mut self) -> Option<Outgoing> {
        if let Some(next) = self.ready() {
            return next;
        }
        self.connection
            .frames
            .try_recv()
            .map(|frame| self.text(frame))
    }

    /// What the connection's phase decides without waiting: `Some(next)` when
    /// it decides, `None` when the queue should be read as usual.
    fn ready(&mut self) -> Option<Option<Outgoing>> {
        match self.connection.phase.load(Ordering::Acquire) {
            phase::OPEN => None,
            phase::DRAINING => Some(match self.connection.frames.try_recv() {
                Some(frame) => Some(self.text(frame)),
                None => self.connection.take_close_frame().map(Outgoing::Close),
            }),
            phase::ABORTING => Some(self.connection.take_close_frame().map(Outgoing::Close)),
            _ => Some(
                self.connection
                    .frames
                    .try_recv()
                    .map(|frame| self.text(frame)),
            ),
        }
    }

    fn text(&self, frame: Bytes) -> Outgoing {
        self.connection.frames_out.fetch_add(1, Ordering::Relaxed);
        if self.connection.wants_string_payloads() {
            return Outgoing::Text(wire::stringify_payload(frame));
        }
        Outgoing::Text(frame)
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // Nobody writes the queue to the socket any more: later sends fail.
        self.connection.frames.close();
    }
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("connection", &self.connection.id)
            .finish()
    }
}
