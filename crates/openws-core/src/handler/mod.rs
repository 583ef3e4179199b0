//! Handlers: async functions that answer one message of the host role, and
//! the router that finds the one (and its guards) for each frame.

mod error;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use error::{BoxError, HandlerError};

use crate::contract::{Contract, RoleId};
use crate::extract::{FromCall, FromPayload, Payload};
use crate::guard::Guard;
use crate::middleware::{LayerFn, Layers};
use crate::reply::{IntoResponse, Response};
use crate::runtime::{CallParts, Ctx};

/// An async function that handles one message: its arguments are
/// [extractors](crate::extract) in any order, then the payload; it returns
/// `()`, a [`Reply`](crate::Reply), or a `Result` of one of them whose error
/// converts into [`HandlerError`].
///
/// `T` is a marker of the handler's argument types, inferred; `S` is the
/// application state. Implemented for async functions and closures of up to
/// eight arguments, for instance `Fn(Ctx<S>, Payload)`,
/// `Fn(Peer, State<S>, Payload)` or `Fn(ConnState<User>, RequestId, Payload)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a handler of this network",
    label = "not a handler",
    note = "a handler is an async fn whose arguments are extractors (`Ctx<S>`, `Peer`, `State<S>`, `ConnState<T>`, ...) followed by the payload (a `serde` type), returning `()`, `Reply<T>` or `Result<_, E>` with `E: Into<HandlerError>`",
    note = "every argument but the last must implement `FromCall<S>`, with the same `S` as the bindings' state"
)]
pub trait Handler<T, S>: Send + Sync + Sized + 'static {
    /// Extracts the arguments from the call and runs the handler.
    fn call(
        self: Arc<Self>,
        ctx: Ctx<S>,
        payload: Payload,
    ) -> BoxFuture<'static, Result<Response, HandlerError>>;
}

impl<F, Fut, S> Handler<(), S> for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoResponse,
{
    fn call(
        self: Arc<Self>,
        _: Ctx<S>,
        _: Payload,
    ) -> BoxFuture<'static, Result<Response, HandlerError>> {
        Box::pin(async move { self().await.into_response() })
    }
}

/// Implements [`Handler`] for functions taking the extractors `$arg` and the payload `$last`.
macro_rules! handler_for {
    ($($arg:ident),*; $last:ident) => {
        #[allow(non_snake_case)]
        impl<F, Fut, S, M, $($arg,)* $last> Handler<(M, $($arg,)* $last,), S> for F
        where
            F: Fn($($arg,)* $last) -> Fut + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: IntoResponse,
            S: Send + Sync + 'static,
            $($arg: FromCall<S> + Send + 'static,)*
            $last: FromPayload<S, M> + Send + 'static,
        {
            fn call(
                self: Arc<Self>,
                ctx: Ctx<S>,
                payload: Payload,
            ) -> BoxFuture<'static, Result<Response, HandlerError>> {
                Box::pin(async move {
                    $(let $arg = $arg::from_call(&ctx).await.map_err(Into::into)?;)*
                    let $last = $last::from_payload(&ctx, payload).await.map_err(Into::into)?;
                    drop(ctx);
                    self($($arg,)* $last).await.into_response()
                })
            }
        }
    };
}

handler_for!(; T1);
handler_for!(T1; T2);
handler_for!(T1, T2; T3);
handler_for!(T1, T2, T3; T4);
handler_for!(T1, T2, T3, T4; T5);
handler_for!(T1, T2, T3, T4, T5; T6);
handler_for!(T1, T2, T3, T4, T5, T6; T7);
handler_for!(T1, T2, T3, T4, T5, T6, T7; T8);

/// A handler with its argument types and state erased.
pub(crate) type ErasedHandler = Arc<
    dyn Fn(CallParts, Payload) -> BoxFuture<'static, Result<Response, HandlerError>> + Send + Sync,
>;

/// Erases `handler`, capturing the application state it needs.
pub(crate) fn erase<T, S, H>(state: Arc<S>, handler: H) -> ErasedHandler
where
    S: Send + Sync + 'static,
    H: Handler<T, S>,
{
    let handler = Arc::new(handler);
    Arc::new(move |parts: CallParts, payload: Payload| {
        Arc::clone(&handler).call(Ctx::new(Arc::clone(&state), parts), payload)
    })
}

/// Handlers and guards of one host message: a default handler, and per-sender ones.
#[derive(Default)]
pub(crate) struct MessageHandlers {
    pub(crate) any: Option<ErasedHandler>,
    pub(crate) by_sender: Vec<(String, ErasedHandler)>,
    pub(crate) guards: Vec<Guard>,
    pub(crate) layers: Vec<LayerFn>,
}

/// What the router is built from, besides the message handlers.
#[derive(Default)]
pub(crate) struct RouterParts {
    pub(crate) network_guards: Vec<Guard>,
    pub(crate) role_guards: Vec<(String, Guard)>,
    pub(crate) binary: Option<ErasedHandler>,
    pub(crate) binary_guards: Vec<Guard>,
    pub(crate) layers: Vec<LayerFn>,
}

/// The handlers of a network's host messages, indexed like the contract's
/// host messages, with the guards of every scope.
pub(crate) struct Router {
    routes: Vec<Route>,
    network_guards: Vec<Guard>,
    /// Indexed by role id.
    role_guards: Vec<Vec<Guard>>,
    binary: Option<ErasedHandler>,
    binary_guards: Vec<Guard>,
    pub(crate) layers: Layers,
}

#[derive(Default)]
struct Route {
    any_sender: Option<ErasedHandler>,
    by_sender: Vec<(RoleId, ErasedHandler)>,
    guards: Vec<Guard>,
}

/// The handler a frame goes to, and the guards it must pass first (network,
/// role, then message or binary guards).
pub(crate) struct Target<'a> {
    pub(crate) handler: &'a ErasedHandler,
    pub(crate) guards: [&'a [Guard]; 3],
}

impl Router {
    /// Places each message's handlers at the contract's index of that message.
    pub(crate) fn new(
        contract: &Contract,
        mut handlers: HashMap<String, MessageHandlers>,
        parts: RouterParts,
    ) -> Self {
        let host = contract.host();
        let mut message_layers = Vec::new();
        let routes = contract
            .message_names(host)
            .map(|name| {
                let bound = handlers.remove(name).unwrap_or_default();
                message_layers.push(bound.layers);
                Route {
                    any_sender: bound.any,
                    by_sender: bound
                        .by_sender
                        .into_iter()
                        .filter_map(|(role, handler)| Some((contract.role(&role)?, handler)))
                        .collect(),
                    guards: bound.guards,
                }
            })
            .collect();
        let mut role_guards: Vec<Vec<Guard>> = contract.role_ids().map(|_| Vec::new()).collect();
        for (role, guard) in parts.role_guards {
            if let Some(id) = contract.role(&role) {
                role_guards[id].push(guard);
            }
        }
        Self {
            routes,
            network_guards: parts.network_guards,
            role_guards,
            binary: parts.binary,
            binary_guards: parts.binary_guards,
            layers: Layers {
                network: parts.layers,
                by_message: message_layers,
            },
        }
    }

    /// Where the host message at `index` goes when `role` sends it.
    pub(crate) fn target(&self, index: usize, role: RoleId) -> Option<Target<'_>> {
        let route = &self.routes[index];
        let handler = route
            .by_sender
            .iter()
            .find(|(sender, _)| *sender == role)
            .map(|(_, handler)| handler)
            .or(route.any_sender.as_ref())?;
        Some(Target {
            handler,
            guards: [&self.network_guards, &self.role_guards[role], &route.guards],
        })
    }

    /// Where a binary frame from `role` goes, if the network takes binary frames.
    pub(crate) fn binary_target(&self, role: RoleId) -> Option<Target<'_>> {
        Some(Target {
            handler: self.binary.as_ref()?,
            guards: [
                &self.network_guards,
                &self.role_guards[role],
                &self.binary_guards,
            ],
        })
    }
}
