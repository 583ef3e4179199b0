//! A session: the protocol state of one connection.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use bytes::Bytes;
use serde_json::value::RawValue;

use super::connect::Admission;
use super::connection::{Connection, ConnectionId, Outbox};
use super::context::CallParts;
use super::gate::{Gate, Permit};
use super::peer::Peer;
use super::shared::{LifecycleHook, Runtime};
use super::wire::{self, ErrorCode, FrameError, RequestId};
use crate::contract::RoleId;
use crate::extract::Payload;
use crate::middleware::{self, Pipeline, Request};
use crate::stream::{CANCEL_MESSAGE, StreamTable};

/// The protocol state of one connection: its role, and the dispatch of its frames.
///
/// Sessions know nothing of sockets: an adapter feeds inbound text frames to
/// [`Session::handle_text`] and writes what the [`Outbox`] yields. Tests can
/// drive one directly:
///
/// ```
/// # use openws_core::{Admission, Bindings, Ctx, HandlerError, Message, Network, Role};
/// # use serde_json::{json, Value};
/// # let network = Network::builder("echo")
/// #     .role(Role::host("server").message(Message::new("ping").from(["client"])))
/// #     .role(Role::new("client").message(Message::new("pong")))
/// #     .build().unwrap();
/// let bindings = Bindings::builder(network, ())
///     .on("ping", |ctx: Ctx<()>, payload: Value| async move {
///         ctx.peer().send("pong", &payload).await?;
///         Ok::<_, HandlerError>(())
///     })?
///     .build()?;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let (mut session, mut outbox) = bindings.session(Admission::role("client"));
/// session
///     .handle_text(r#"{"fromRole":"client","messageName":"ping","payload":{"n":1}}"#)
///     .await
///     .unwrap();
/// let frame = outbox.try_recv().unwrap();
/// assert_eq!(
///     frame,
///     openws_core::Outgoing::Text(r#"{"fromRole":"server","messageName":"pong","payload":{"n":1}}"#.into())
/// );
/// session.close().await;
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Session {
    runtime: Arc<Runtime>,
    connection: Arc<Connection>,
    peer: Option<Peer>,
    open_hooks_pending: bool,
    /// The connection's place in the route's limits, freed when the session drops.
    _permit: Option<Permit>,
    /// The connection's middleware stack; `None` when the network has no layers.
    pipeline: Option<Pipeline>,
}

impl Session {
    pub(crate) fn new(runtime: Arc<Runtime>, mut admission: Admission) -> (Self, Outbox) {
        admission
            .extensions
            .insert(Arc::new(StreamTable::default()));
        let (connection, outbox) = Connection::new(
            Arc::clone(&runtime.contract),
            runtime.config.outbound_queue,
            runtime.config.send_timeout,
            admission.extensions,
        );
        let pipeline = Pipeline::new(&runtime);
        let mut session = Self {
            runtime,
            connection,
            peer: None,
            open_hooks_pending: false,
            _permit: admission.permit,
            pipeline,
        };
        if let Some(role) = admission.role
            && let Err(error) = session.open(&role)
        {
            tracing::error!(%error, "admission named a role the network does not have");
        }
        (session, outbox)
    }

    pub(crate) fn config(&self) -> &super::SessionConfig {
        &self.runtime.config
    }

    pub(crate) fn gate(&self) -> &Arc<Gate> {
        &self.runtime.gate
    }

    /// The connection's id.
    pub fn connection_id(&self) -> ConnectionId {
        self.connection.id()
    }

    /// The connection: its state, rooms and counters.
    pub fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// The role the connection holds, once established.
    pub fn role(&self) -> Option<&str> {
        self.peer.as_ref().map(Peer::role)
    }

    /// A handle for sending to this connection, once its role is established.
    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// Establishes the connection's role and lists it in the network's hub.
    /// Call it only with a role you trust the peer to hold; opening twice with
    /// the same role is a no-op, and the role never changes afterwards. The
    /// open hooks run at the next [`Session::ready`] or inbound frame.
    pub fn open(&mut self, role: &str) -> Result<(), FrameError> {
        let contract = &self.runtime.contract;
        let Some(id) = contract.remote_role(role) else {
            return Err(FrameError::new(
                ErrorCode::UnknownRole,
                format!(
                    "network `{}` has no remote role `{role}`",
                    contract.network().name()
                ),
            ));
        };
        match &self.peer {
            None => {
                self.connection.establish(id);
                let hub = self.runtime.hub.clone();
                hub.registry().register(&self.connection);
                self.peer = Some(Peer::new(Arc::clone(&self.connection), hub, id));
                self.open_hooks_pending = true;
                Ok(())
            }
            Some(peer) if peer.role() == role => Ok(()),
            Some(peer) => Err(role_mismatch(peer.role(), role)),
        }
    }

    /// Runs the open hooks, in the order they were registered, once the role
    /// is established (and only once). The frame pump calls it before reading;
    /// otherwise the next inbound frame does.
    pub async fn ready(&mut self) {
        if !std::mem::take(&mut self.open_hooks_pending) {
            return;
        }
        let Some(peer) = &self.peer else { return };
        run_hooks(&self.runtime.open_hooks, peer, "open").await;
    }

    /// Handles one inbound text frame: parse, authorise, validate, dispatch.
    ///
    /// A refused frame is answered with an error frame on the outbox and
    /// returned as `Err`; the session stays usable either way. The handler
    /// runs to completion before this returns, so one connection's frames are
    /// handled in order.
    pub async fn handle_text(&mut self, text: &str) -> Result<(), FrameError> {
        self.connection.count_inbound();
        let (envelope, id) = match wire::parse_envelope(text) {
            Ok(parsed) => parsed,
            Err((error, id)) => return Err(self.refuse(error, id).await),
        };
        self.connection.note_payload_form(envelope.payload);
        match self.dispatch(&envelope, id.as_ref()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.refuse(error.about(&envelope.message_name), id).await),
        }
    }

    /// Handles one inbound binary frame: the network's binary handler runs
    /// after its guards (see [`BindingsBuilder::on_binary`](crate::BindingsBuilder::on_binary));
    /// without one the frame is refused with `bad_frame`.
    pub async fn handle_binary(&mut self, data: Bytes) -> Result<(), FrameError> {
        self.connection.count_inbound();
        match self.dispatch_binary(data).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.refuse(error, None).await),
        }
    }

    /// Records a transport error on this connection.
    pub fn error(&self, error: &dyn std::error::Error) {
        tracing::debug!(connection = %self.connection.id(), %error, "transport error");
    }

    /// Ends the session: later sends to the connection fail, the close hooks
    /// run once each (in order) if the role was established, and the
    /// connection leaves the hub and its rooms.
    pub async fn close(self) {
        self.connection.mark_closed();
        if let Some(peer) = &self.peer {
            run_hooks(&self.runtime.close_hooks, peer, "close").await;
            self.runtime.hub.registry().unregister(&self.connection);
        }
    }

    async fn dispatch(
        &mut self,
        envelope: &wire::Envelope<'_>,
        id: Option<&RequestId>,
    ) -> Result<(), FrameError> {
        let role = self.establish_role(&envelope.from_role)?;
        self.ready().await;
        let contract = &self.runtime.contract;
        let name = &*envelope.message_name;
        let host = contract.host();
        let Some(index) = contract.message_index(host, name) else {
            if name == CANCEL_MESSAGE {
                return self.cancel_stream(envelope.payload);
            }
            return Err(FrameError::new(
                ErrorCode::UnknownMessage,
                format!("`{}` accepts no message `{name}`", contract.host_name()),
            ));
        };
        let message = contract.message_at(host, index);
        if !message.allows(role) {
            return Err(FrameError::new(
                ErrorCode::ForbiddenRole,
                format!("role `{}` may not send `{name}`", contract.role_name(role)),
            ));
        }
        let payload = wire::decode_payload(envelope.payload)?;
        message.check_payload(&payload)?;
        let parts = CallParts {
            peer: self.peer.clone().expect("role established above"),
            request_id: id.cloned(),
        };
        let request = Request::new(parts, index, payload);
        let response = match &mut self.pipeline {
            None => middleware::endpoint(&self.runtime, request).await?,
            Some(pipeline) => pipeline.call(request).await?,
        };
        match response.into_reply() {
            None => Ok(()),
            Some(reply) => self.send_reply(reply, id).await,
        }
    }

    /// Sends a handler's reply to the sender, with `replyTo`.
    async fn send_reply(
        &self,
        reply: crate::Reply<serde_json::Value>,
        id: Option<&RequestId>,
    ) -> Result<(), FrameError> {
        let peer = self
            .peer
            .as_ref()
            .expect("a reply answers an established role");
        match peer
            .send_frame(reply.message(), reply.payload(), id.map(|id| &**id))
            .await
        {
            Ok(()) | Err(super::SendError::Disconnected | super::SendError::SlowConsumer) => Ok(()),
            Err(error) => {
                tracing::error!(connection = %self.connection.id(), reply = reply.message(), %error, "handler's reply not sent");
                Err(FrameError::new(
                    ErrorCode::InternalError,
                    "the handler's reply could not be sent",
                ))
            }
        }
    }

    /// Cancels one of this connection's streams: `{"stream": <id>}`. A
    /// stream that already ended is not an error.
    fn cancel_stream(&self, payload: &RawValue) -> Result<(), FrameError> {
        #[derive(serde::Deserialize)]
        struct Cancel {
            stream: u64,
        }
        let cancel: Cancel = serde_json::from_str(payload.get()).map_err(|_| {
            FrameError::new(
                ErrorCode::BadFrame,
                "a `$cancel` payload is `{\"stream\": <stream id>}`",
            )
        })?;
        if let Some(streams) = self.connection.extension::<Arc<StreamTable>>() {
            streams.cancel(cancel.stream);
        }
        Ok(())
    }

    async fn dispatch_binary(&mut self, data: Bytes) -> Result<(), FrameError> {
        let Some(peer) = self.peer.clone() else {
            return Err(FrameError::new(
                ErrorCode::BadFrame,
                "a binary frame cannot open a session; send a JSON text frame first",
            ));
        };
        self.ready().await;
        let Some(target) = self.runtime.router.binary_target(peer.role_id()) else {
            return Err(FrameError::new(
                ErrorCode::BadFrame,
                "binary frames are not supported; send JSON text",
            ));
        };
        crate::guard::check(target.guards, peer.connection()).await?;
        let parts = CallParts {
            peer,
            request_id: None,
        };
        let future = (target.handler)(parts, Payload::Binary(data));
        let response = middleware::settle(future, self.connection.id(), "(binary)").await?;
        match response.into_reply() {
            None => Ok(()),
            Some(reply) => self.send_reply(reply, None).await,
        }
    }

    /// The role a frame claiming `from_role` is handled as, opening the
    /// session on a first frame when the route allows it.
    fn establish_role(&mut self, from_role: &str) -> Result<RoleId, FrameError> {
        if let Some(peer) = self.peer.as_ref().filter(|peer| peer.role() == from_role) {
            return Ok(peer.role_id());
        }
        let contract = &self.runtime.contract;
        let role = contract.remote_role(from_role);
        if role.is_none() && from_role != contract.host_name() {
            return Err(FrameError::new(
                ErrorCode::UnknownRole,
                format!(
                    "network `{}` has no role `{from_role}`",
                    contract.network().name()
                ),
            ));
        }
        if let Some(peer) = &self.peer {
            return Err(role_mismatch(peer.role(), from_role));
        }
        match role.filter(|id| self.runtime.roles.open_roles.contains(id)) {
            Some(id) => {
                self.open(from_role)?;
                Ok(id)
            }
            None => Err(FrameError::new(
                ErrorCode::RoleRefused,
                format!("this route does not let a connection take role `{from_role}`"),
            )),
        }
    }

    /// Answers a refused frame with an error frame (unless the route turned them off).
    pub(crate) async fn refuse(&self, error: FrameError, id: Option<RequestId>) -> FrameError {
        tracing::debug!(connection = %self.connection.id(), code = %error.code, message = %error.message, "frame refused");
        if !self.runtime.config.error_frames {
            return error;
        }
        let frame = wire::error_frame(self.runtime.contract.host_name(), &error, id.as_deref());
        if let Err(send_error) = self.connection.push(frame).await {
            tracing::debug!(connection = %self.connection.id(), %send_error, "error frame not delivered");
        }
        error
    }
}

/// Runs lifecycle hooks in order; a panicking hook is logged and the next one runs.
async fn run_hooks(hooks: &[LifecycleHook], peer: &Peer, event: &str) {
    for hook in hooks {
        let parts = CallParts {
            peer: peer.clone(),
            request_id: None,
        };
        if AssertUnwindSafe(hook(parts)).catch_unwind().await.is_err() {
            tracing::error!(connection = %peer.connection_id(), event, "lifecycle hook panicked");
        }
    }
}

fn role_mismatch(held: &str, claimed: &str) -> FrameError {
    FrameError::new(
        ErrorCode::RoleMismatch,
        format!("this connection holds role `{held}`, not `{claimed}`"),
    )
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("connection", &self.connection.id())
            .field("role", &self.role())
            .finish_non_exhaustive()
    }
}
