//! Streamed responses: many chunks of one message answering one request,
//! each validated, in order, with backpressure, ended by a `done` frame.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;
use tokio::sync::Notify;

use crate::HandlerError;
use crate::runtime::wire::{self, RequestId, StreamBody, StreamMark, StreamState};
use crate::runtime::{Connection, Peer, SendError};

/// The message name of the frame a client sends to cancel one of its streams:
/// `{"fromRole": .., "messageName": "$cancel", "payload": {"stream": <id>}}`.
/// No spec message can have this name (`$` is outside the OpenWS name pattern).
pub const CANCEL_MESSAGE: &str = "$cancel";

/// Why a chunk was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The client cancelled the stream, or disconnected.
    #[error("the stream was cancelled")]
    Cancelled,
    /// The chunk could not be sent (its payload fails the schema, the peer is gone, ...).
    #[error(transparent)]
    Send(#[from] SendError),
}

/// The sending side of a stream to one peer; see [`Ctx::stream`](crate::Ctx::stream).
///
/// Every chunk is a frame of the stream's message, validated against the
/// peer's schema for it, carrying `"stream": {"id", "seq", "state": "chunk"}`
/// (and `replyTo` when the request had an `id`); the last frame carries
/// `"state": "done"` (see `docs/protocol.md`). [`StreamSink::send`] waits
/// while the connection's outbound queue is full, so a stream never holds
/// more than that queue.
///
/// The stream ends with its `done` frame when the sink is finished, failed
/// (an error frame ends it instead) or dropped. It is cancelled when the
/// client sends a `$cancel` frame for it or disconnects: later sends fail
/// with [`StreamError::Cancelled`], and [`StreamSink::cancelled`] resolves.
///
/// A handler that sends every chunk itself keeps its connection's other
/// frames waiting until it returns; to stream while the connection goes on,
/// hand the sink to [`StreamSink::spawn`] (or your own task).
///
/// ```
/// # use openws_core::{Ctx, HandlerError};
/// # use serde_json::json;
/// async fn count(ctx: Ctx<()>, request: serde_json::Value) -> Result<(), HandlerError> {
///     let to = request["to"].as_u64().unwrap_or(10);
///     ctx.stream("number")?.spawn(move |mut numbers| async move {
///         for n in 0..to {
///             numbers.send(&json!({ "n": n })).await?;
///         }
///         Ok(())
///     });
///     Ok(())
/// }
/// ```
pub struct StreamSink {
    shared: Arc<Shared>,
    ends_on_drop: bool,
}

struct Shared {
    peer: Peer,
    /// The stream's message, as an index into the peer role's messages.
    message: usize,
    id: u64,
    reply_to: Option<RequestId>,
    seq: AtomicU64,
    cancelled: AtomicBool,
    cancel: Notify,
    ended: AtomicBool,
    table: Arc<StreamTable>,
}

/// A connection's open streams, for `$cancel` frames. Sessions attach one
/// to every connection (as an admission extension, out of the application's
/// reach).
#[derive(Default)]
pub(crate) struct StreamTable {
    next_id: AtomicU64,
    open: Mutex<Vec<(u64, Weak<Shared>)>>,
}

impl StreamTable {
    /// Cancels stream `id`; `false` when no such stream is open.
    pub(crate) fn cancel(&self, id: u64) -> bool {
        let stream = self
            .locked()
            .iter()
            .find(|(open, _)| *open == id)
            .and_then(|(_, stream)| stream.upgrade());
        match stream {
            Some(stream) => {
                stream.cancelled.store(true, Ordering::Release);
                stream.cancel.notify_waiters();
                true
            }
            None => false,
        }
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Weak<Shared>)>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl StreamSink {
    /// Opens a stream of `message` (a message `peer`'s role accepts).
    pub(crate) fn open(
        peer: Peer,
        message: &str,
        reply_to: Option<RequestId>,
    ) -> Result<Self, SendError> {
        let contract = peer.connection().contract();
        let index = contract
            .message_index(peer.role_id(), message)
            .ok_or_else(|| SendError::UnknownMessage {
                role: peer.role().to_owned(),
                message: message.to_owned(),
            })?;
        let table = peer
            .connection()
            .extension::<Arc<StreamTable>>()
            .cloned()
            .unwrap_or_default();
        let id = table.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let shared = Arc::new(Shared {
            peer,
            message: index,
            id,
            reply_to,
            seq: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
            cancel: Notify::new(),
            ended: AtomicBool::new(false),
            table,
        });
        shared.table.locked().push((id, Arc::downgrade(&shared)));
        Ok(Self {
            shared,
            ends_on_drop: true,
        })
    }

    /// The stream's id, as its frames carry it.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// How many chunks were sent.
    pub fn sent(&self) -> u64 {
        self.shared.seq.load(Ordering::Acquire)
    }

    /// Sends a chunk, waiting while the connection's outbound queue is full
    /// (up to the send timeout, like [`Peer::send`]).
    pub async fn send<T: Serialize + ?Sized>(&mut self, chunk: &T) -> Result<(), StreamError> {
        let frame = self.chunk_frame(chunk)?;
        let connection = self.shared.peer.connection();
        let pushed = {
            let cancelled = pin!(self.shared.cancelled());
            tokio::select! {
                biased;
                () = cancelled => return Err(StreamError::Cancelled),
                pushed = connection.push(frame) => pushed,
            }
        };
        pushed?;
        self.shared.seq.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Sends a chunk if the outbound queue has room now; never waits.
    pub fn try_send<T: Serialize + ?Sized>(&mut self, chunk: &T) -> Result<(), StreamError> {
        let frame = self.chunk_frame(chunk)?;
        self.shared.peer.connection().try_push(frame)?;
        self.shared.seq.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Whether the client cancelled the stream or disconnected.
    pub fn is_cancelled(&self) -> bool {
        self.shared.is_cancelled()
    }

    /// Resolves once the client cancels the stream or disconnects.
    pub async fn cancelled(&self) {
        self.shared.cancelled().await;
    }

    /// Ends the stream with its `done` frame.
    pub async fn finish(self) {
        self.shared.end(None).await;
    }

    /// Ends the stream with an error frame (see [`HandlerError`] for what the peer sees).
    pub async fn fail(self, error: HandlerError) {
        self.shared.end(Some(error)).await;
    }

    /// Runs `producer` with the sink on a task of its own, so the connection
    /// handles its other frames meanwhile. When `producer` returns, the
    /// stream ends: `Ok` with its `done` frame, `Err` with an error frame. A
    /// cancel or a disconnect drops `producer` wherever it waits, then ends
    /// the stream.
    pub fn spawn<F, Fut>(mut self, producer: F) -> tokio::task::JoinHandle<()>
    where
        F: FnOnce(StreamSink) -> Fut,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.ends_on_drop = false;
        let shared = Arc::clone(&self.shared);
        let producing = producer(self);
        tokio::spawn(async move {
            let outcome = {
                let cancelled = pin!(shared.cancelled());
                tokio::select! {
                    outcome = producing => outcome.err(),
                    () = cancelled => None,
                }
            };
            shared.end(outcome).await;
        })
    }

    fn chunk_frame<T: Serialize + ?Sized>(&self, chunk: &T) -> Result<bytes::Bytes, StreamError> {
        let shared = &self.shared;
        if shared.is_cancelled() {
            return Err(StreamError::Cancelled);
        }
        let payload = serde_json::to_value(chunk).map_err(SendError::from)?;
        let contract = shared.peer.connection().contract();
        let name = contract.message_name(shared.peer.role_id(), shared.message);
        contract
            .message_at(shared.peer.role_id(), shared.message)
            .check_payload(&payload)
            .map_err(|e| SendError::InvalidPayload(e.about(name)))?;
        Ok(wire::stream_frame(
            contract.host_name(),
            name,
            StreamBody::Chunk(&payload),
            shared.mark(StreamState::Chunk),
            shared.reply_to.as_deref(),
        ))
    }
}

impl Shared {
    fn connection(&self) -> &Connection {
        self.peer.connection()
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire) || !self.connection().is_open()
    }

    async fn cancelled(&self) {
        let notified = self.cancel.notified();
        let mut notified = pin!(notified);
        notified.as_mut().enable();
        if self.cancelled.load(Ordering::Acquire) {
            return;
        }
        tokio::select! {
            () = notified => {}
            () = self.connection().closing() => {}
        }
    }

    fn mark(&self, state: StreamState) -> StreamMark {
        StreamMark {
            id: self.id,
            seq: self.seq.load(Ordering::Acquire),
            state,
        }
    }

    /// Sends the last frame (once) and forgets the stream.
    async fn end(&self, error: Option<HandlerError>) {
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        self.table.locked().retain(|(id, _)| *id != self.id);
        let contract = self.connection().contract();
        let name = contract.message_name(self.peer.role_id(), self.message);
        let error = error.map(|error| error.into_frame_error(self.peer.connection_id(), name));
        let body = match &error {
            Some(error) => StreamBody::Failed(error),
            None => StreamBody::Done,
        };
        let frame = wire::stream_frame(
            contract.host_name(),
            name,
            body,
            self.mark(StreamState::Done),
            self.reply_to.as_deref(),
        );
        if let Err(error) = self.connection().push(frame).await {
            tracing::debug!(connection = %self.peer.connection_id(), stream = self.id, %error, "stream end not delivered");
        }
    }
}

impl Drop for StreamSink {
    fn drop(&mut self) {
        if !self.ends_on_drop || self.shared.ended.load(Ordering::Acquire) {
            return;
        }
        let shared = Arc::clone(&self.shared);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { shared.end(None).await });
            }
            Err(_) => tracing::warn!(
                stream = shared.id,
                "stream dropped outside a runtime: no done frame"
            ),
        }
    }
}

impl fmt::Debug for StreamSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSink")
            .field("id", &self.shared.id)
            .field("connection", &self.shared.peer.connection_id())
            .field("sent", &self.sent())
            .finish()
    }
}
