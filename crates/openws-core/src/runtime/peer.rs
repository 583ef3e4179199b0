//! Peer handles and the bounded outbound queue of each connection.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::{Notify, mpsc};

use super::wire::{self, FrameError};
use crate::bind::{CompiledNetwork, RoleId};

/// A process-unique id of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(u64);

impl ConnectionId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
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
}

/// What the transport must write next to a connection's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A text frame (UTF-8 JSON).
    Text(Bytes),
    /// A close frame; nothing follows it.
    Close(CloseFrame),
}

/// The sending side of one connection, shared by its session and every peer handle.
pub(crate) struct Link {
    id: ConnectionId,
    frames: mpsc::Sender<Bytes>,
    close: Arc<CloseSignal>,
    send_timeout: Duration,
}

/// A close asked for out of band, so it overtakes a full queue.
#[derive(Default)]
struct CloseSignal {
    /// Set once a close is requested, so the writer checks it without locking per frame.
    requested: AtomicBool,
    request: Mutex<Option<CloseFrame>>,
    notify: Notify,
}

impl CloseSignal {
    fn set(&self, frame: CloseFrame) {
        let mut request = self.request.lock().unwrap_or_else(|e| e.into_inner());
        if request.is_none() {
            *request = Some(frame);
            self.requested.store(true, Ordering::Release);
            self.notify.notify_one();
        }
    }

    fn take(&self) -> Option<CloseFrame> {
        if !self.requested.load(Ordering::Acquire) {
            return None;
        }
        self.request
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl Link {
    pub(crate) fn new(queue: usize, send_timeout: Duration) -> (Arc<Self>, Outbox) {
        let (frames, receiver) = mpsc::channel(queue.max(1));
        let close = Arc::new(CloseSignal::default());
        let id = ConnectionId::next();
        let outbox = Outbox {
            id,
            frames: receiver,
            close: Arc::clone(&close),
        };
        let link = Arc::new(Self {
            id,
            frames,
            close,
            send_timeout,
        });
        (link, outbox)
    }

    pub(crate) fn id(&self) -> ConnectionId {
        self.id
    }

    /// Queues a frame, waiting up to the send timeout for room; a peer that
    /// stays full that long is disconnected with 1008.
    pub(crate) async fn push(&self, frame: Bytes) -> Result<(), SendError> {
        // With room in the queue (the usual case) no timer is needed.
        let frame = match self.frames.try_send(frame) {
            Ok(()) => {
                // Yield now and then, as a waiting send would: a handler sending to
                // many peers must not hold its worker thread for the whole loop.
                tokio::task::coop::consume_budget().await;
                return Ok(());
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(SendError::Disconnected),
            Err(mpsc::error::TrySendError::Full(frame)) => frame,
        };
        match tokio::time::timeout(self.send_timeout, self.frames.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(SendError::Disconnected),
            Err(_) => {
                self.request_close(CloseFrame::new(
                    CloseFrame::POLICY,
                    "outbound queue full: frames were not read in time",
                ));
                Err(SendError::SlowConsumer)
            }
        }
    }

    pub(crate) fn request_close(&self, frame: CloseFrame) {
        self.close.set(frame);
    }

    fn is_closed(&self) -> bool {
        self.frames.is_closed()
    }
}

/// The frames a connection's transport must write, in order.
///
/// Adapters drain it into the socket; tests read it directly.
pub struct Outbox {
    id: ConnectionId,
    frames: mpsc::Receiver<Bytes>,
    close: Arc<CloseSignal>,
}

impl Outbox {
    /// The next frame to write; `None` once the session and every peer handle are gone.
    ///
    /// A close requested through [`Peer::close`] (or by the slow-consumer
    /// policy) comes before any frames still queued.
    pub async fn recv(&mut self) -> Option<Outgoing> {
        loop {
            if let Some(close) = self.close.take() {
                return Some(Outgoing::Close(close));
            }
            tokio::select! {
                biased;
                () = self.close.notify.notified() => {}
                frame = self.frames.recv() => return frame.map(Outgoing::Text),
            }
        }
    }

    /// The next frame if one is ready now.
    pub fn try_recv(&mut self) -> Option<Outgoing> {
        if let Some(close) = self.close.take() {
            return Some(Outgoing::Close(close));
        }
        self.frames.try_recv().ok().map(Outgoing::Text)
    }
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("connection", &self.id)
            .finish()
    }
}

/// Why a message could not be sent to a peer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The peer's role accepts no message of that name.
    #[error("role `{role}` accepts no message `{message}`")]
    UnknownMessage {
        /// The receiving role.
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
    /// The peer's connection has closed.
    #[error("the peer has disconnected")]
    Disconnected,
    /// The peer did not read its frames in time and is being disconnected.
    #[error("the peer's outbound queue stayed full; it is being disconnected")]
    SlowConsumer,
}

/// A handle for sending messages to one connected peer, scoped to what its role accepts.
///
/// Cheap to clone and safe to store: a chat server keeps each user's handle to
/// message them later. Every send is validated against the receiving role's
/// schema before it is queued.
#[derive(Clone)]
pub struct Peer {
    link: Arc<Link>,
    role: RoleId,
    network: Arc<CompiledNetwork>,
}

impl Peer {
    pub(crate) fn new(link: Arc<Link>, role: RoleId, network: Arc<CompiledNetwork>) -> Self {
        Self {
            link,
            role,
            network,
        }
    }

    /// The connection this handle sends to.
    pub fn connection_id(&self) -> ConnectionId {
        self.link.id
    }

    pub(crate) fn role_id(&self) -> RoleId {
        self.role
    }

    /// The role the peer holds.
    pub fn role(&self) -> &str {
        self.network.role_name(self.role)
    }

    /// Whether the connection is still open.
    pub fn is_connected(&self) -> bool {
        !self.link.is_closed()
    }

    /// Sends `message` with `payload` to the peer.
    ///
    /// Fails without sending when the peer's role does not accept the message
    /// or the payload does not match its schema. Waits while the peer's
    /// outbound queue is full, up to the send timeout (see
    /// [`BindingsBuilder::send_timeout`](crate::BindingsBuilder::send_timeout)).
    pub async fn send<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        self.send_frame(message, payload, None).await
    }

    /// Asks the connection to close with `frame`; queued frames are dropped.
    pub fn close(&self, frame: CloseFrame) {
        self.link.request_close(frame);
    }

    pub(crate) async fn send_frame<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
        reply_to: Option<&RawValue>,
    ) -> Result<(), SendError> {
        let payload = serde_json::to_value(payload)?;
        let spec =
            self.network
                .message(self.role, message)
                .ok_or_else(|| SendError::UnknownMessage {
                    role: self.role().to_owned(),
                    message: message.to_owned(),
                })?;
        spec.check_payload(&payload)
            .map_err(|e| SendError::InvalidPayload(e.about(message)))?;
        let frame = wire::message_frame(self.network.host_name(), message, &payload, reply_to);
        self.link.push(frame).await
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("connection", &self.link.id)
            .field("role", &self.role())
            .finish()
    }
}
