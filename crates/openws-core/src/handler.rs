//! Handlers: async functions that answer one message of the host role, and
//! the router that finds the one for each frame.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::contract::{Contract, RoleId};
use crate::runtime::{CallParts, Ctx};

/// What a handler returns when it fails; the peer receives it as a
/// `handler_error` frame carrying [`HandlerError::message`].
///
/// Any `std::error::Error` converts into it, so `?` works in handlers:
///
/// ```
/// use openws_core::HandlerError;
///
/// fn parse(n: &str) -> Result<u32, HandlerError> {
///     Ok(n.parse::<u32>()?)
/// }
/// assert!(parse("x").is_err());
/// assert_eq!(HandlerError::new("room `r1` does not exist").message(), "room `r1` does not exist");
/// ```
pub struct HandlerError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// An error with a message for the peer.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The message sent to the peer.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying error, when the handler failed through `?`.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self {
            message: error.to_string(),
            source: Some(Box::new(error)),
        }
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("message", &self.message)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An async function that handles one message.
///
/// Implemented for every `Fn(Ctx<S>, T) -> impl Future<Output = Result<(), E>>`
/// where `T` is the payload type (anything `serde` can deserialize, including
/// `serde_json::Value`) and `E` converts into [`HandlerError`].
pub trait Handler<S, T>: Send + Sync + 'static {
    /// Runs the handler.
    fn call(&self, ctx: Ctx<S>, payload: T) -> BoxFuture<'static, Result<(), HandlerError>>;
}

impl<S, T, F, Fut, E> Handler<S, T> for F
where
    F: Fn(Ctx<S>, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<HandlerError>,
{
    fn call(&self, ctx: Ctx<S>, payload: T) -> BoxFuture<'static, Result<(), HandlerError>> {
        let future = self(ctx, payload);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

/// Why an erased handler did not complete.
pub(crate) enum DispatchError {
    /// The payload passed its schema but does not deserialize into the handler's type.
    Payload(serde_json::Error),
    /// The handler returned an error.
    Handler(HandlerError),
}

/// A handler with its payload type and state erased.
pub(crate) type ErasedHandler =
    Arc<dyn Fn(CallParts, Value) -> BoxFuture<'static, Result<(), DispatchError>> + Send + Sync>;

/// Erases `handler`, capturing the application state it needs.
pub(crate) fn erase<S, T, H>(state: Arc<S>, handler: H) -> ErasedHandler
where
    S: Send + Sync + 'static,
    T: DeserializeOwned + Send + 'static,
    H: Handler<S, T>,
{
    let handler = Arc::new(handler);
    Arc::new(move |parts: CallParts, payload: Value| {
        let handler = Arc::clone(&handler);
        let ctx = Ctx::new(Arc::clone(&state), parts);
        Box::pin(async move {
            let payload: T = serde_json::from_value(payload).map_err(DispatchError::Payload)?;
            handler
                .call(ctx, payload)
                .await
                .map_err(DispatchError::Handler)
        })
    })
}

/// Handlers of one host message: a default, and per-sender ones.
#[derive(Default)]
pub(crate) struct MessageHandlers {
    pub(crate) any: Option<ErasedHandler>,
    pub(crate) by_sender: Vec<(String, ErasedHandler)>,
}

/// The handlers of a network's host messages, indexed like the contract's host messages.
pub(crate) struct Router {
    routes: Vec<Route>,
}

#[derive(Default)]
struct Route {
    any_sender: Option<ErasedHandler>,
    by_sender: Vec<(RoleId, ErasedHandler)>,
}

impl Router {
    /// Places each message's handlers at the contract's index of that message.
    pub(crate) fn new(
        contract: &Contract,
        mut handlers: std::collections::HashMap<String, MessageHandlers>,
    ) -> Self {
        let host = contract.host();
        let routes = contract
            .message_names(host)
            .map(|name| {
                let bound = handlers.remove(name).unwrap_or_default();
                Route {
                    any_sender: bound.any,
                    by_sender: bound
                        .by_sender
                        .into_iter()
                        .filter_map(|(role, handler)| Some((contract.role(&role)?, handler)))
                        .collect(),
                }
            })
            .collect();
        Self { routes }
    }

    /// The handler of the host message at `index` when `role` sends it.
    pub(crate) fn handler(&self, index: usize, role: RoleId) -> Option<&ErasedHandler> {
        let route = &self.routes[index];
        route
            .by_sender
            .iter()
            .find(|(sender, _)| *sender == role)
            .map(|(_, handler)| handler)
            .or(route.any_sender.as_ref())
    }
}
