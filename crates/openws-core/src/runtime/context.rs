//! The context a handler receives with its payload.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

use super::connection::{Connection, ConnectionId};
use super::peer::{Peer, SendError};
use super::wire::RequestId;
use crate::hub::{Broadcast, Hub};
use crate::stream::StreamSink;

/// Everything about the connection a handler answers, except the payload.
///
/// `Ctx` gives the application state, the sender's [`Peer`] handle and
/// [`Connection`] (its per-connection state and rooms), the network's
/// [`Hub`], the data its connect hook attached, [`Ctx::reply`] for
/// answering a request that carried an `id`, and [`Ctx::stream`] for
/// answering it with a stream. It is also an [extractor](crate::extract),
/// like each of its parts.
pub struct Ctx<S> {
    state: Arc<S>,
    parts: CallParts,
}

/// The per-call data of a context, before the state is attached.
#[derive(Clone)]
pub(crate) struct CallParts {
    pub(crate) peer: Peer,
    pub(crate) request_id: Option<RequestId>,
}

impl<S> Ctx<S> {
    pub(crate) fn new(state: Arc<S>, parts: CallParts) -> Self {
        Self { state, parts }
    }

    /// The application state given to [`Bindings::builder`](crate::Bindings::builder).
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The application state, shared.
    pub fn state_arc(&self) -> Arc<S> {
        Arc::clone(&self.state)
    }

    /// A handle for sending to the connection that sent this message; clone it to keep it.
    pub fn peer(&self) -> &Peer {
        &self.parts.peer
    }

    /// The sending connection: its per-connection state, rooms and counters.
    pub fn connection(&self) -> &Arc<Connection> {
        self.parts.peer.connection()
    }

    /// The id of the sending connection.
    pub fn connection_id(&self) -> ConnectionId {
        self.parts.peer.connection_id()
    }

    /// The hub of this network: rooms, broadcasts, every connection.
    pub fn hub(&self) -> &Hub {
        self.parts.peer.hub()
    }

    /// A broadcast to the members of `room`; see [`Hub::to`].
    pub fn to(&self, room: impl Into<String>) -> Broadcast {
        self.hub().to(room)
    }

    /// A value the connect hook attached with
    /// [`Admission::with_extension`](crate::Admission::with_extension).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.connection().extension::<T>()
    }

    /// The request's `id` as raw JSON (a string or a number), if it had one.
    pub fn request_id(&self) -> Option<&str> {
        self.raw_request_id().map(RawValue::get)
    }

    pub(crate) fn raw_request_id(&self) -> Option<&RawValue> {
        self.parts.request_id.as_deref()
    }

    /// Opens a stream of `message` to the sender, answering this request:
    /// its chunks carry `replyTo` with the request's `id`. Fails when the
    /// sender's role does not accept `message`. See [`StreamSink`].
    pub fn stream(&self, message: &str) -> Result<StreamSink, SendError> {
        StreamSink::open(
            self.parts.peer.clone(),
            message,
            self.parts.request_id.clone(),
        )
    }

    /// Sends `message` to the sender, with `replyTo` set to this request's `id`
    /// (or without it when the request had none).
    pub async fn reply<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        self.parts
            .peer
            .send_frame(message, payload, self.parts.request_id.as_deref())
            .await
    }
}

impl<S> Clone for Ctx<S> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            parts: self.parts.clone(),
        }
    }
}

impl<S> fmt::Debug for Ctx<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("peer", &self.parts.peer)
            .field("request_id", &self.request_id())
            .finish_non_exhaustive()
    }
}
