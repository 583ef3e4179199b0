//! Extractors: what a handler's arguments can be.
//!
//! A handler is an async function whose arguments are extractors, in any
//! order, followed by the payload. Each extractor implements [`FromCall`]
//! (the analog of axum's `FromRequestParts`): it is built from the call's
//! [`Ctx`] before the handler runs, and may refuse the frame. The last
//! argument implements [`FromPayload`]: any `serde` type (the payload, after
//! it passed the message's schema), [`Binary`] for a binary frame, or one
//! more extractor when the handler ignores the payload.
//!
//! | argument | what it is | refuses when |
//! |---|---|---|
//! | [`Ctx<S>`] | the whole call context | never |
//! | [`Peer`] | the sender's handle | never |
//! | [`TypedPeer<R>`](crate::typed::TypedPeer) | the sender's typed handle | the sender does not hold `R` (`internal_error`) |
//! | [`State<S>`] | the application state | never |
//! | [`ConnState<T>`] | a value of the connection's state (a copy) | it is not set (`guard_rejected`) |
//! | `Arc<Connection>` | the sending connection | never |
//! | [`Hub`] | the network's hub | never |
//! | [`ConnectionId`] | the sender's id | never |
//! | [`Extension<T>`] | a value the connect hook attached | it is missing (`internal_error`, logged) |
//! | [`RequestId`] | the request's `id` | the frame had none (`bad_frame`) |
//! | `Option<E>` for any extractor `E` | `E`, or `None` where `E` would refuse | never |
//!
//! An application's own extractor implements [`FromCall`]:
//!
//! ```
//! use openws_core::extract::FromCall;
//! use openws_core::{Ctx, HandlerError};
//!
//! #[derive(Clone)]
//! struct UserName(String);
//!
//! /// The logged-in user: refuses frames from connections that did not log in.
//! struct CurrentUser(String);
//!
//! impl<S: Send + Sync> FromCall<S> for CurrentUser {
//!     type Rejection = HandlerError;
//!
//!     async fn from_call(ctx: &Ctx<S>) -> Result<Self, HandlerError> {
//!         match ctx.connection().get::<UserName>() {
//!             Some(UserName(name)) => Ok(CurrentUser(name)),
//!             None => Err(HandlerError::public("log in first").code("not_logged_in")),
//!         }
//!     }
//! }
//! ```

use std::any::type_name;
use std::fmt;
use std::future::{Future, ready};
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::HandlerError;
use crate::hub::Hub;
use crate::runtime::{Connection, ConnectionId, Ctx, ErrorCode, Peer};

/// A handler argument built from the call's context; see the [module docs](self).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument: it is not an extractor",
    label = "not an extractor",
    note = "handler arguments are extractors (`Ctx<S>`, `Peer`, `TypedPeer<R>`, `State<S>`, `ConnState<T>`, `Hub`, `ConnectionId`, `Extension<T>`, `RequestId`, or a type implementing `FromCall<S>`), then the payload last",
    note = "only the last argument can be the payload (a `serde` type)"
)]
pub trait FromCall<S>: Sized {
    /// What a refusal turns into: an error frame (see [`HandlerError`]).
    type Rejection: Into<HandlerError>;

    /// Builds the argument, or refuses the frame.
    fn from_call(ctx: &Ctx<S>) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

/// What a frame carried, before the handler's last argument reads it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// A text frame's `payload`, valid against the message's schema.
    Json(Value),
    /// A binary frame's bytes.
    Binary(Bytes),
}

/// Markers that keep the [`FromPayload`] impls apart.
pub mod via {
    /// The payload deserialized with `serde`.
    #[derive(Debug)]
    pub enum Serde {}
    /// An extractor in the payload's place (the handler ignores the payload).
    #[derive(Debug)]
    pub enum Call {}
    /// The payload read by the type's own [`FromPayload`](super::FromPayload) impl.
    #[derive(Debug)]
    pub enum Own {}
}

/// The last argument of a handler: the payload, read from what the frame carried.
///
/// Implemented for every `serde` type (`via::Serde`), every extractor
/// (`via::Call`) and [`Binary`] (`via::Own`); an application type can read
/// the raw [`Payload`] itself by implementing `FromPayload<S, via::Own>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler's last argument",
    label = "not a payload",
    note = "the last argument is the payload (a type implementing `serde::Deserialize`), `Binary` for binary frames, or one more extractor"
)]
pub trait FromPayload<S, M>: Sized {
    /// What a refusal turns into: an error frame (see [`HandlerError`]).
    type Rejection: Into<HandlerError>;

    /// Reads the payload, or refuses the frame.
    fn from_payload(
        ctx: &Ctx<S>,
        payload: Payload,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;
}

impl<S, T: DeserializeOwned + Send> FromPayload<S, via::Serde> for T {
    type Rejection = HandlerError;

    fn from_payload(
        _: &Ctx<S>,
        payload: Payload,
    ) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        ready(match payload {
            Payload::Json(value) => serde_json::from_value(value).map_err(|error| {
                HandlerError::public(format!("payload does not fit the handler's type: {error}"))
                    .with_code(ErrorCode::InvalidPayload)
            }),
            Payload::Binary(_) => Err(HandlerError::public("this handler takes a JSON payload")
                .with_code(ErrorCode::BadFrame)),
        })
    }
}

impl<S: Send + Sync, T: FromCall<S>> FromPayload<S, via::Call> for T {
    type Rejection = T::Rejection;

    fn from_payload(
        ctx: &Ctx<S>,
        _: Payload,
    ) -> impl Future<Output = Result<Self, T::Rejection>> + Send {
        T::from_call(ctx)
    }
}

/// The bytes of a binary frame: the last argument of a binary handler (see
/// [`BindingsBuilder::on_binary`](crate::BindingsBuilder::on_binary)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary(pub Bytes);

impl<S> FromPayload<S, via::Own> for Binary {
    type Rejection = HandlerError;

    fn from_payload(
        _: &Ctx<S>,
        payload: Payload,
    ) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        ready(match payload {
            Payload::Binary(bytes) => Ok(Binary(bytes)),
            Payload::Json(_) => Err(HandlerError::public("this handler takes a binary frame")
                .with_code(ErrorCode::BadFrame)),
        })
    }
}

/// An extractor that never refuses: `$value` from `ctx`.
macro_rules! infallible {
    ($( $(#[$doc:meta])* $ty:ty => |$ctx:ident| $value:expr; )+) => {$(
        $(#[$doc])*
        impl<S: Send + Sync> FromCall<S> for $ty {
            type Rejection = HandlerError;

            fn from_call($ctx: &Ctx<S>) -> impl Future<Output = Result<Self, HandlerError>> + Send {
                ready(Ok($value))
            }
        }
    )+};
}

infallible! {
    /// The whole context (a cheap clone).
    Ctx<S> => |ctx| ctx.clone();
    /// The sender's handle.
    Peer => |ctx| ctx.peer().clone();
    /// The sending connection.
    Arc<Connection> => |ctx| Arc::clone(ctx.connection());
    /// The network's hub.
    Hub => |ctx| ctx.hub().clone();
    /// The sender's connection id.
    ConnectionId => |ctx| ctx.connection_id();
    /// The application state.
    State<S> => |ctx| State(ctx.state_arc());
}

impl<S: Send + Sync, T: FromCall<S>> FromCall<S> for Option<T> {
    type Rejection = HandlerError;

    async fn from_call(ctx: &Ctx<S>) -> Result<Self, HandlerError> {
        Ok(T::from_call(ctx).await.ok())
    }
}

/// The application state given to [`Bindings::builder`](crate::Bindings::builder), shared.
///
/// ```
/// # use openws_core::extract::State;
/// # use openws_core::HandlerError;
/// # use std::sync::atomic::{AtomicU64, Ordering};
/// #[derive(Default)]
/// struct Counter(AtomicU64);
///
/// async fn hit(State(counter): State<Counter>, _: serde_json::Value) -> Result<(), HandlerError> {
///     counter.0.fetch_add(1, Ordering::Relaxed);
///     Ok(())
/// }
/// ```
pub struct State<S>(pub Arc<S>);

impl<S> Deref for State<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S> Clone for State<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S> fmt::Debug for State<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&type_name::<S>()).finish()
    }
}

/// A copy of the connection's state value of type `T` (see
/// [`Connection::get`]); refuses the frame with `guard_rejected` when the
/// connection has none. Take `Option<ConnState<T>>` to handle its absence.
///
/// ```
/// # use openws_core::extract::ConnState;
/// # use openws_core::HandlerError;
/// #[derive(Clone)]
/// struct UserName(String);
///
/// async fn post(ConnState(UserName(user)): ConnState<UserName>, text: String) -> Result<(), HandlerError> {
///     println!("{user}: {text}");
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ConnState<T>(pub T);

impl<S: Send + Sync, T: Clone + Send + Sync + 'static> FromCall<S> for ConnState<T> {
    type Rejection = HandlerError;

    fn from_call(ctx: &Ctx<S>) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        ready(match ctx.connection().get::<T>() {
            Some(value) => Ok(ConnState(value)),
            None => {
                tracing::debug!(connection = %ctx.connection_id(), state = type_name::<T>(), "connection state missing");
                Err(
                    HandlerError::public("this connection is not in the state this message needs")
                        .with_code(ErrorCode::GuardRejected),
                )
            }
        })
    }
}

/// A value the connect hook attached with
/// [`Admission::with_extension`](crate::Admission::with_extension) (a
/// copy). A missing one is a server bug: the frame gets `internal_error`
/// and the log says which type was missing.
#[derive(Debug, Clone)]
pub struct Extension<T>(pub T);

impl<S: Send + Sync, T: Clone + Send + Sync + 'static> FromCall<S> for Extension<T> {
    type Rejection = HandlerError;

    fn from_call(ctx: &Ctx<S>) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        ready(match ctx.extension::<T>() {
            Some(value) => Ok(Extension(value.clone())),
            None => Err(HandlerError::private(format!(
                "no extension of type `{}` on this connection",
                type_name::<T>()
            ))
            .with_code(ErrorCode::InternalError)),
        })
    }
}

/// The request's `id`, as the client sent it (a JSON string or number);
/// refuses a frame without one with `bad_frame`. Take `Option<RequestId>`
/// when the `id` is optional.
#[derive(Debug, Clone)]
pub struct RequestId(Box<RawValue>);

impl RequestId {
    /// The id as raw JSON: `"r1"` (with its quotes) or `7`.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl<S: Send + Sync> FromCall<S> for RequestId {
    type Rejection = HandlerError;

    fn from_call(ctx: &Ctx<S>) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        ready(match ctx.raw_request_id() {
            Some(id) => Ok(RequestId(id.to_owned())),
            None => {
                Err(HandlerError::public("this message needs an `id`")
                    .with_code(ErrorCode::BadFrame))
            }
        })
    }
}
