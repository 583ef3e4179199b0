//! A session: the protocol state of one connection.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;

use super::connect::Admission;
use super::context::CallParts;
use super::peer::{ConnectionId, Link, Outbox, Peer};
use super::wire::{self, ErrorCode, FrameError, RequestId};
use crate::bind::{DispatchError, RoleId, Runtime};

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
    link: Arc<Link>,
    peer: Option<Peer>,
    extensions: Arc<http::Extensions>,
}

impl Session {
    pub(crate) fn new(runtime: Arc<Runtime>, admission: Admission) -> (Self, Outbox) {
        let (link, outbox) = Link::new(runtime.config.outbound_queue, runtime.config.send_timeout);
        let mut session = Self {
            runtime,
            link,
            peer: None,
            extensions: Arc::new(admission.extensions),
        };
        if let Some(role) = admission.role
            && let Err(error) = session.open(&role)
        {
            tracing::error!(%error, "admission named a role the network does not have");
        }
        (session, outbox)
    }

    pub(crate) fn max_frame_bytes(&self) -> usize {
        self.runtime.config.max_frame_bytes
    }

    /// The connection's id.
    pub fn connection_id(&self) -> ConnectionId {
        self.link.id()
    }

    /// The role the connection holds, once established.
    pub fn role(&self) -> Option<&str> {
        self.peer.as_ref().map(Peer::role)
    }

    /// A handle for sending to this connection, once its role is established.
    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// Establishes the connection's role. Call it only with a role you trust
    /// the peer to hold; opening twice with the same role is a no-op, and the
    /// role never changes afterwards.
    pub fn open(&mut self, role: &str) -> Result<(), FrameError> {
        let network = &self.runtime.network;
        let Some(id) = network.remote_role(role) else {
            return Err(FrameError::new(
                ErrorCode::UnknownRole,
                format!(
                    "network `{}` has no remote role `{role}`",
                    network.network().name()
                ),
            ));
        };
        match &self.peer {
            None => {
                self.peer = Some(Peer::new(Arc::clone(&self.link), id, Arc::clone(network)));
                Ok(())
            }
            Some(peer) if peer.role() == role => Ok(()),
            Some(peer) => Err(role_mismatch(peer.role(), role)),
        }
    }

    /// Handles one inbound text frame: parse, authorise, validate, dispatch.
    ///
    /// A refused frame is answered with an error frame on the outbox and
    /// returned as `Err`; the session stays usable either way. The handler
    /// runs to completion before this returns, so one connection's frames are
    /// handled in order.
    pub async fn handle_text(&mut self, text: &str) -> Result<(), FrameError> {
        let (envelope, id) = match wire::parse_envelope(text) {
            Ok(parsed) => parsed,
            Err((error, id)) => return Err(self.refuse(error, id).await),
        };
        match self.dispatch(&envelope, id.as_ref()).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.refuse(error.about(&envelope.message_name), id).await),
        }
    }

    /// Answers a binary frame: the protocol is JSON text only.
    pub async fn handle_binary(&mut self) -> FrameError {
        let error = FrameError::new(
            ErrorCode::BadFrame,
            "binary frames are not supported; send JSON text",
        );
        self.refuse(error, None).await
    }

    /// Records a transport error on this connection.
    pub fn error(&self, error: &dyn std::error::Error) {
        tracing::debug!(connection = %self.link.id(), %error, "transport error");
    }

    /// Ends the session, running the close hook once if the role was established.
    pub async fn close(self) {
        let (Some(peer), Some(hook)) = (self.peer, &self.runtime.close_hook) else {
            return;
        };
        let parts = CallParts {
            peer,
            request_id: None,
            extensions: self.extensions,
        };
        if AssertUnwindSafe(hook(parts)).catch_unwind().await.is_err() {
            tracing::error!(connection = %self.link.id(), "close hook panicked");
        }
    }

    async fn dispatch(
        &mut self,
        envelope: &wire::Envelope<'_>,
        id: Option<&RequestId>,
    ) -> Result<(), FrameError> {
        let role = self.establish_role(&envelope.from_role)?;
        let network = &self.runtime.network;
        let name = &*envelope.message_name;
        let message = network.host_message(name).ok_or_else(|| {
            FrameError::new(
                ErrorCode::UnknownMessage,
                format!("`{}` accepts no message `{name}`", network.host_name()),
            )
        })?;
        if !message.allows(role) {
            return Err(FrameError::new(
                ErrorCode::ForbiddenRole,
                format!("role `{}` may not send `{name}`", network.role_name(role)),
            ));
        }
        let payload = wire::decode_payload(envelope.payload)?;
        message.check_payload(&payload)?;
        let Some(handler) = message.handler(role) else {
            return Err(FrameError::new(
                ErrorCode::NotImplemented,
                format!("`{name}` has no handler on this server"),
            ));
        };
        let parts = CallParts {
            peer: self.peer.clone().expect("role established above"),
            request_id: id.cloned(),
            extensions: Arc::clone(&self.extensions),
        };
        match AssertUnwindSafe(handler(parts, payload))
            .catch_unwind()
            .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(DispatchError::Payload(error))) => Err(FrameError::new(
                ErrorCode::InvalidPayload,
                format!("payload does not fit the handler's type: {error}"),
            )),
            Ok(Err(DispatchError::Handler(error))) => {
                tracing::debug!(connection = %self.link.id(), message = name, %error, "handler failed");
                Err(FrameError::new(ErrorCode::HandlerError, error.message()))
            }
            Err(_) => {
                tracing::error!(connection = %self.link.id(), message = name, "handler panicked");
                Err(FrameError::new(
                    ErrorCode::InternalError,
                    "the handler failed unexpectedly",
                ))
            }
        }
    }

    /// The role a frame claiming `from_role` is handled as, opening the
    /// session on a first frame when the route allows it.
    fn establish_role(&mut self, from_role: &str) -> Result<RoleId, FrameError> {
        if let Some(peer) = self.peer.as_ref().filter(|peer| peer.role() == from_role) {
            return Ok(peer.role_id());
        }
        let network = &self.runtime.network;
        let role = network.remote_role(from_role);
        if role.is_none() && from_role != network.host_name() {
            return Err(FrameError::new(
                ErrorCode::UnknownRole,
                format!(
                    "network `{}` has no role `{from_role}`",
                    network.network().name()
                ),
            ));
        }
        if let Some(peer) = &self.peer {
            return Err(role_mismatch(peer.role(), from_role));
        }
        match role.filter(|id| self.runtime.open_roles.contains(id)) {
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

    async fn refuse(&self, error: FrameError, id: Option<RequestId>) -> FrameError {
        tracing::debug!(connection = %self.link.id(), code = %error.code, message = %error.message, "frame refused");
        let frame = wire::error_frame(self.runtime.network.host_name(), &error, id.as_deref());
        if let Err(send_error) = self.link.push(frame).await {
            tracing::debug!(connection = %self.link.id(), %send_error, "error frame not delivered");
        }
        error
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
            .field("connection", &self.link.id())
            .field("role", &self.role())
            .finish_non_exhaustive()
    }
}
