//! Message dispatch as a `tower::Service`, and the layers that wrap it.
//!
//! Each connection gets its own service stack, built when it opens from the
//! layers given to [`BindingsBuilder::layer`](crate::BindingsBuilder::layer)
//! (around every message) and
//! [`BindingsBuilder::message_layer`](crate::BindingsBuilder::message_layer)
//! (around one message). So tower's own middleware works unchanged, with
//! per-connection state where it keeps any: `rate_limit` limits each
//! connection, `timeout` bounds each handler, `load_shed` refuses what a
//! `GlobalConcurrencyLimitLayer` shared by every connection cannot take.
//! Without any layer, frames skip the service machinery entirely.
//!
//! The service takes a [`Request`] (a frame that passed its role and schema
//! checks) and returns a [`Response`] (the handler's reply, if any); its
//! error is a [`BoxError`]. What the peer receives for an error: a
//! [`FrameError`] as it is (guards, handlers and [`before`] hooks produce
//! those), `timeout` for tower's `Elapsed`, `overloaded` for tower's
//! `Overloaded`, and `internal_error` (logged) for anything else.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use tower::util::BoxService;
use tower::{Layer, Service, ServiceExt};

use crate::extract::Payload;
use crate::handler::{BoxError, HandlerError};
use crate::reply::Response;
use crate::runtime::{CallParts, Connection, ConnectionId, ErrorCode, FrameError, Peer, Runtime};

/// The service every layer wraps: what handles the frames of one connection.
pub type MessageService = BoxService<Request, Response, BoxError>;

/// A layer as the bindings keep it: wraps a service in one more layer.
pub(crate) type LayerFn = Arc<dyn Fn(MessageService) -> MessageService + Send + Sync>;

/// Boxes `layer` for the bindings.
pub(crate) fn layer_fn<L>(layer: L) -> LayerFn
where
    L: Layer<MessageService> + Send + Sync + 'static,
    L::Service: Service<Request, Response = Response> + Send + 'static,
    <L::Service as Service<Request>>::Error: Into<BoxError>,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    Arc::new(move |inner| BoxService::new(layer.layer(inner).map_err(Into::into)))
}

/// A frame on its way to its handler, as middleware sees it.
pub struct Request {
    head: RequestHead,
    payload: Value,
}

/// Everything about a [`Request`] but its payload.
#[derive(Clone)]
pub struct RequestHead {
    pub(crate) parts: CallParts,
    /// The message's index among the host role's messages.
    pub(crate) message: usize,
}

impl RequestHead {
    /// The message's name.
    pub fn message(&self) -> &str {
        let contract = self.parts.peer.connection().contract();
        contract.message_name(contract.host(), self.message)
    }

    /// The sender's handle.
    pub fn peer(&self) -> &Peer {
        &self.parts.peer
    }

    /// The sending connection: its state, rooms and counters.
    pub fn connection(&self) -> &Arc<Connection> {
        self.parts.peer.connection()
    }

    /// The request's `id` as raw JSON, if it had one.
    pub fn request_id(&self) -> Option<&str> {
        self.parts.request_id.as_deref().map(|id| id.get())
    }
}

impl Request {
    pub(crate) fn new(parts: CallParts, message: usize, payload: Value) -> Self {
        Self {
            head: RequestHead { parts, message },
            payload,
        }
    }

    /// The message's name, connection and id.
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The message's name.
    pub fn message(&self) -> &str {
        self.head.message()
    }

    /// The sending connection.
    pub fn connection(&self) -> &Arc<Connection> {
        self.head.connection()
    }

    /// The payload, valid against the message's schema.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The payload, to change before the handler reads it. The handler's
    /// payload type still has to read it; the schema is not checked again.
    pub fn payload_mut(&mut self) -> &mut Value {
        &mut self.payload
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("message", &self.message())
            .field("connection", &self.connection().id())
            .field("request_id", &self.head.request_id())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RequestHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("message", &self.message())
            .field("connection", &self.connection().id())
            .finish_non_exhaustive()
    }
}

/// Runs the handler of a request, after its guards: the innermost step of
/// every connection's dispatch, with or without layers.
pub(crate) async fn endpoint(runtime: &Runtime, request: Request) -> Result<Response, FrameError> {
    let Request {
        head: RequestHead { parts, message },
        payload,
    } = request;
    let contract = &runtime.contract;
    let name = contract.message_name(contract.host(), message);
    let Some(target) = runtime.router.target(message, parts.peer.role_id()) else {
        return Err(FrameError::new(
            ErrorCode::NotImplemented,
            format!("`{name}` has no handler on this server"),
        ));
    };
    crate::guard::check(target.guards, parts.peer.connection()).await?;
    let connection = parts.peer.connection_id();
    settle(
        (target.handler)(parts, Payload::Json(payload)),
        connection,
        name,
    )
    .await
}

/// Awaits a handler's future: a panic becomes `internal_error`, a
/// [`HandlerError`] its error frame (logged when private).
pub(crate) async fn settle(
    future: BoxFuture<'static, Result<Response, HandlerError>>,
    connection: ConnectionId,
    message: &str,
) -> Result<Response, FrameError> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) => Err(error.into_frame_error(connection, message)),
        Err(_) => {
            tracing::error!(%connection, message, "handler panicked");
            Err(FrameError::new(
                ErrorCode::InternalError,
                "the handler failed unexpectedly",
            ))
        }
    }
}

/// The innermost service: runs requests through [`endpoint`], or through
/// the stack of their message's layers when it has one.
struct Dispatch {
    runtime: Arc<Runtime>,
    /// By host message index; `None` for messages without layers.
    layered: Vec<Option<Arc<tokio::sync::Mutex<MessageService>>>>,
}

impl Service<Request> for Dispatch {
    type Response = Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.layered.get(request.head.message).cloned().flatten() {
            // A connection handles one frame at a time: the lock is never contended.
            Some(stack) => Box::pin(async move {
                let mut stack = stack.lock_owned().await;
                stack.ready().await?.call(request).await
            }),
            None => {
                let runtime = Arc::clone(&self.runtime);
                Box::pin(async move { Ok(endpoint(&runtime, request).await?) })
            }
        }
    }
}

/// The service stack of one connection; `None` from [`Pipeline::new`] when
/// the network has no layers.
pub(crate) struct Pipeline {
    service: MessageService,
}

impl Pipeline {
    pub(crate) fn new(runtime: &Arc<Runtime>) -> Option<Self> {
        let layers = &runtime.router.layers;
        if layers.network.is_empty() && layers.by_message.iter().all(Vec::is_empty) {
            return None;
        }
        let wrap = |layers: &[LayerFn], service: MessageService| {
            layers.iter().fold(service, |service, layer| layer(service))
        };
        let layered = layers
            .by_message
            .iter()
            .map(|layers| {
                (!layers.is_empty()).then(|| {
                    let direct = Dispatch {
                        runtime: Arc::clone(runtime),
                        layered: Vec::new(),
                    };
                    Arc::new(tokio::sync::Mutex::new(wrap(
                        layers,
                        BoxService::new(direct),
                    )))
                })
            })
            .collect();
        let dispatch = Dispatch {
            runtime: Arc::clone(runtime),
            layered,
        };
        Some(Self {
            service: wrap(&layers.network, BoxService::new(dispatch)),
        })
    }

    /// Runs a request through the stack.
    pub(crate) async fn call(&mut self, request: Request) -> Result<Response, FrameError> {
        let connection = request.connection().id();
        let message = request.head.message;
        let contract = Arc::clone(request.connection().contract());
        let outcome = match self.service.ready().await {
            Ok(service) => service.call(request).await,
            Err(error) => Err(error),
        };
        outcome.map_err(|error| {
            refusal(
                error,
                connection,
                contract.message_name(contract.host(), message),
            )
        })
    }
}

/// The error frame for an error out of the service stack.
fn refusal(error: BoxError, connection: ConnectionId, message: &str) -> FrameError {
    let error = match error.downcast::<FrameError>() {
        Ok(error) => return *error,
        Err(error) => error,
    };
    if error.is::<tower::timeout::error::Elapsed>() {
        return FrameError::new(ErrorCode::Timeout, "the handler did not finish in time");
    }
    if error.is::<tower::load_shed::error::Overloaded>() {
        return FrameError::new(
            ErrorCode::Overloaded,
            "the server is at capacity; try again later",
        );
    }
    tracing::error!(%connection, message, %error, "middleware failed");
    FrameError::new(
        ErrorCode::InternalError,
        "the server failed to handle the frame",
    )
}

/// A layer that runs `hook` on each request before the layers inside it:
/// `hook` sees the request, may change it, or refuses it with an error frame.
///
/// ```
/// use openws_core::HandlerError;
/// use openws_core::middleware::before;
///
/// // Refuse texts longer than 280 characters, whatever the schema allows.
/// let short = before(|request| match request.payload()["text"].as_str() {
///     Some(text) if text.chars().count() > 280 => {
///         Err(HandlerError::public("keep it under 280 characters").code("too_long"))
///     }
///     _ => Ok(()),
/// });
/// ```
pub fn before<F>(hook: F) -> HookLayer<Before<F>>
where
    F: Fn(&mut Request) -> Result<(), HandlerError> + Send + Sync + 'static,
{
    HookLayer(Arc::new(Before(hook)))
}

/// A layer that runs `hook` with the outcome of each request, once the
/// layers inside it and the handler are done: for logs and metrics.
///
/// ```
/// use openws_core::middleware::after;
///
/// let log = after(|head, outcome| {
///     tracing::info!(message = head.message(), ok = outcome.is_ok(), "handled");
/// });
/// ```
pub fn after<F>(hook: F) -> HookLayer<After<F>>
where
    F: Fn(&RequestHead, &Result<Response, BoxError>) + Send + Sync + 'static,
{
    HookLayer(Arc::new(After(hook)))
}

/// The layer of a [`before`] or [`after`] hook.
pub struct HookLayer<H>(Arc<H>);

/// The hook of [`before`].
pub struct Before<F>(F);

/// The hook of [`after`].
pub struct After<F>(F);

/// The service of a [`HookLayer`].
pub struct Hooked<H, S> {
    hook: Arc<H>,
    inner: S,
}

impl<H, S> Layer<S> for HookLayer<H> {
    type Service = Hooked<H, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Hooked {
            hook: Arc::clone(&self.0),
            inner,
        }
    }
}

impl<F, S> Service<Request> for Hooked<Before<F>, S>
where
    F: Fn(&mut Request) -> Result<(), HandlerError> + Send + Sync + 'static,
    S: Service<Request, Response = Response, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match (self.hook.0)(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(error) => {
                let error = error.into_frame_error(request.connection().id(), request.message());
                Box::pin(std::future::ready(Err(error.into())))
            }
        }
    }
}

impl<F, S> Service<Request> for Hooked<After<F>, S>
where
    F: Fn(&RequestHead, &Result<Response, BoxError>) + Send + Sync + 'static,
    S: Service<Request, Response = Response, Error = BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let head = request.head.clone();
        let hook = Arc::clone(&self.hook);
        let future = self.inner.call(request);
        Box::pin(async move {
            let outcome = future.await;
            (hook.0)(&head, &outcome);
            outcome
        })
    }
}

impl<H> Clone for HookLayer<H> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<H> fmt::Debug for HookLayer<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookLayer").finish_non_exhaustive()
    }
}

impl<F> fmt::Debug for Before<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Before").finish_non_exhaustive()
    }
}

impl<F> fmt::Debug for After<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("After").finish_non_exhaustive()
    }
}

impl<H, S> fmt::Debug for Hooked<H, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooked").finish_non_exhaustive()
    }
}

/// The layers of a network, as the router keeps them.
#[derive(Default)]
pub(crate) struct Layers {
    /// Around every message, innermost first.
    pub(crate) network: Vec<LayerFn>,
    /// Around one message each, by host message index, innermost first.
    pub(crate) by_message: Vec<Vec<LayerFn>>,
}
