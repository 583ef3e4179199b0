//! Trait-first authoring: roles and messages as Rust types, checked by the compiler.
//!
//! A role is a type implementing [`RoleType`]; a message is a (usually unit)
//! type implementing [`MessageType`], naming its payload type, the role that
//! receives it and the roles that may send it. From these the compiler checks
//! that a handler's sender may send the message ([`Contains`]) and that a
//! [`TypedPeer`] is only asked to send what its role accepts.
//!
//! ```
//! use openws_core::typed::{Anyone, MessageType, RoleType, TypedPeer};
//! use openws_core::{Bindings, Ctx, HandlerError, Message, Network, Role};
//!
//! struct Server;
//! struct Client;
//! struct Ping;
//! struct Pong;
//!
//! impl RoleType for Server {
//!     const NAME: &'static str = "server";
//!     fn declare() -> Role { Role::host(Self::NAME).message(Ping::declare()) }
//! }
//! impl RoleType for Client {
//!     const NAME: &'static str = "client";
//!     fn declare() -> Role { Role::new(Self::NAME).message(Pong::declare()) }
//! }
//! impl MessageType for Ping {
//!     const NAME: &'static str = "ping";
//!     type Payload = u32;
//!     type Receiver = Server;
//!     type Senders = (Client,);
//! }
//! impl MessageType for Pong {
//!     const NAME: &'static str = "pong";
//!     type Payload = u32;
//!     type Receiver = Client;
//!     type Senders = Anyone;
//! }
//!
//! async fn ping(_: Ctx<()>, client: TypedPeer<Client>, n: u32) -> Result<(), HandlerError> {
//!     client.send::<Pong>(&(n + 1)).await?;
//!     // client.send::<Ping>(&n) would not compile: a client does not receive `ping`.
//!     Ok(())
//! }
//!
//! let network = Network::builder("echo").role(Server::declare()).role(Client::declare()).build()?;
//! let bindings = Bindings::builder(network, ()).handle(Ping, ping)?.build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::extract::FromCall;
use crate::network::{Message, Role};
use crate::runtime::wire::RequestId;
use crate::runtime::{Peer, SendError};
use crate::{BindError, BindingsBuilder, Ctx, Handler, HandlerError, Reply};

/// A role of a network, described by a type.
pub trait RoleType: Send + Sync + 'static {
    /// The role's name in the network.
    const NAME: &'static str;

    /// The role as the network declares it: [`Role::host`] or [`Role::new`],
    /// with its description and the messages it accepts.
    fn declare() -> Role;
}

/// A message of a network, described by a type.
pub trait MessageType: 'static {
    /// The message's name in the network.
    const NAME: &'static str;
    /// What the message carries; its `schemars` schema is the payload schema.
    type Payload: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
    /// The role that accepts the message.
    type Receiver: RoleType;
    /// The roles that may send it: a tuple of role types, or [`Anyone`].
    type Senders: RoleList;

    /// A description of the message for the spec.
    fn description() -> Option<&'static str> {
        None
    }

    /// The message as its receiving role declares it.
    fn declare() -> Message {
        let message = Message::new(Self::NAME).payload::<Self::Payload>();
        let message = match Self::description() {
            Some(description) => message.description(description),
            None => message,
        };
        match Self::Senders::names() {
            Some(senders) => message.from(senders),
            None => message,
        }
    }
}

/// A set of role types: the senders of a message.
pub trait RoleList {
    /// The roles' names; `None` stands for every role (no `from` list).
    fn names() -> Option<Vec<&'static str>>;
}

/// Every role may send the message: the spec gets no `from` list.
#[derive(Debug, Clone, Copy)]
pub struct Anyone;

impl RoleList for Anyone {
    fn names() -> Option<Vec<&'static str>> {
        None
    }
}

/// Proof that a role list contains role `R`; `I` is the position, inferred.
#[diagnostic::on_unimplemented(
    message = "role `{R}` is not allowed to send this message",
    label = "the message's senders are `{Self}`",
    note = "add the role to the message's `Senders`, or handle the message for an allowed role"
)]
pub trait Contains<R, I> {}

/// Position markers for [`Contains`] and [`HasPeer`].
pub mod position {
    /// Any position of [`Anyone`](super::Anyone).
    #[derive(Debug)]
    pub enum Anywhere {}
    /// The first role.
    #[derive(Debug)]
    pub enum First {}
    /// The second role.
    #[derive(Debug)]
    pub enum Second {}
    /// The third role.
    #[derive(Debug)]
    pub enum Third {}
    /// The fourth role.
    #[derive(Debug)]
    pub enum Fourth {}
    /// The fifth argument.
    #[derive(Debug)]
    pub enum Fifth {}
    /// The sixth argument.
    #[derive(Debug)]
    pub enum Sixth {}
    /// The seventh argument.
    #[derive(Debug)]
    pub enum Seventh {}
}

impl<R> Contains<R, position::Anywhere> for Anyone {}

macro_rules! role_lists {
    ($( ( $($role:ident),+ ) ),+ $(,)?) => {$(
        impl<$($role: RoleType),+> RoleList for ($($role,)+) {
            fn names() -> Option<Vec<&'static str>> {
                Some(vec![$($role::NAME),+])
            }
        }
    )+};
}

role_lists!((A), (A, B), (A, B, C), (A, B, C, D));

impl<A> Contains<A, position::First> for (A,) {}
impl<A, B> Contains<A, position::First> for (A, B) {}
impl<A, B> Contains<B, position::Second> for (A, B) {}
impl<A, B, C> Contains<A, position::First> for (A, B, C) {}
impl<A, B, C> Contains<B, position::Second> for (A, B, C) {}
impl<A, B, C> Contains<C, position::Third> for (A, B, C) {}
impl<A, B, C, D> Contains<A, position::First> for (A, B, C, D) {}
impl<A, B, C, D> Contains<B, position::Second> for (A, B, C, D) {}
impl<A, B, C, D> Contains<C, position::Third> for (A, B, C, D) {}
impl<A, B, C, D> Contains<D, position::Fourth> for (A, B, C, D) {}

/// A [`Peer`] whose role is known at compile time: it only sends messages
/// that role receives.
///
/// As a handler argument it is an [extractor](crate::extract) naming the
/// sender's role; [`BindingsBuilder::handle`] binds the handler for that role.
pub struct TypedPeer<R> {
    peer: Peer,
    reply_to: Option<RequestId>,
    role: PhantomData<fn() -> R>,
}

impl<R: RoleType> TypedPeer<R> {
    /// Types `peer`, if it holds role `R`.
    pub fn new(peer: Peer) -> Option<Self> {
        (peer.role() == R::NAME).then(|| Self::assume(peer, None))
    }

    fn assume(peer: Peer, reply_to: Option<RequestId>) -> Self {
        Self {
            peer,
            reply_to,
            role: PhantomData,
        }
    }

    /// Sends message `M`, which role `R` must receive.
    pub async fn send<M>(&self, payload: &M::Payload) -> Result<(), SendError>
    where
        M: MessageType<Receiver = R>,
    {
        self.peer.send(M::NAME, payload).await
    }

    /// Sends message `M` with `replyTo` set to the `id` of the request this
    /// handle was extracted for (none when it had no `id`, or when the
    /// handle was made with [`TypedPeer::new`]).
    pub async fn reply<M>(&self, payload: &M::Payload) -> Result<(), SendError>
    where
        M: MessageType<Receiver = R>,
    {
        self.peer
            .send_frame(M::NAME, payload, self.reply_to.as_deref())
            .await
    }

    /// The untyped handle.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }
}

impl<S: Send + Sync, R: RoleType> FromCall<S> for TypedPeer<R> {
    type Rejection = HandlerError;

    fn from_call(ctx: &Ctx<S>) -> impl Future<Output = Result<Self, HandlerError>> + Send {
        let peer = ctx.peer();
        std::future::ready(if peer.role() == R::NAME {
            Ok(Self::assume(
                peer.clone(),
                ctx.raw_request_id().map(ToOwned::to_owned),
            ))
        } else {
            Err(HandlerError::private(format!(
                "a handler taking `TypedPeer<{}>` got a frame from role `{}`; bind it with `handle`",
                R::NAME,
                peer.role()
            ))
            .with_code(crate::ErrorCode::InternalError))
        })
    }
}

impl<R> Clone for TypedPeer<R> {
    fn clone(&self) -> Self {
        Self {
            peer: self.peer.clone(),
            reply_to: self.reply_to.clone(),
            role: PhantomData,
        }
    }
}

impl<R> fmt::Debug for TypedPeer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedPeer").field(&self.peer).finish()
    }
}

impl<P> Reply<P> {
    /// A reply of message `M`: the compiler checks the payload is `M`'s.
    pub fn to<M: MessageType<Payload = P>>(payload: P) -> Self {
        Reply::new(M::NAME, payload)
    }
}

/// The argument types of a handler, as [`Handler`]'s marker `T` lists them:
/// the typed style reads the payload type from it.
pub trait HandlerArgs {
    /// The type of the handler's last argument.
    type Payload;
}

/// Proof that a handler takes a `TypedPeer<R>`; `I` is its position, inferred.
#[diagnostic::on_unimplemented(
    message = "a handler bound with `handle` takes exactly one `TypedPeer<Role>`",
    label = "the handler's arguments are `{Self}`",
    note = "the typed peer names the sender role; to handle every sender, bind with `handle_any`"
)]
pub trait HasPeer<R, I> {}

/// Implements [`HandlerArgs`] for handlers of these argument types, and
/// [`HasPeer`] for a `TypedPeer` at each position but the last.
macro_rules! handler_args {
    ($($arg:ident),*; $last:ident) => {
        impl<M, $($arg,)* $last> HandlerArgs for (M, $($arg,)* $last,) {
            type Payload = $last;
        }
    };
}

handler_args!(; T1);
handler_args!(T1; T2);
handler_args!(T1, T2; T3);
handler_args!(T1, T2, T3; T4);
handler_args!(T1, T2, T3, T4; T5);
handler_args!(T1, T2, T3, T4, T5; T6);
handler_args!(T1, T2, T3, T4, T5, T6; T7);
handler_args!(T1, T2, T3, T4, T5, T6, T7; T8);

/// `HasPeer<R, $at>` for `(M, $before.., TypedPeer<R>, $after..)`.
macro_rules! has_peer {
    ($($at:ident: [$($before:ident),*] [$($after:ident),+];)+) => {$(
        impl<M, R, $($before,)* $($after,)+> HasPeer<R, position::$at>
            for (M, $($before,)* TypedPeer<R>, $($after,)+)
        {
        }
    )+};
}

has_peer! {
    First: [] [T2];
    First: [] [T2, T3];
    Second: [T1] [T3];
    First: [] [T2, T3, T4];
    Second: [T1] [T3, T4];
    Third: [T1, T2] [T4];
    First: [] [T2, T3, T4, T5];
    Second: [T1] [T3, T4, T5];
    Third: [T1, T2] [T4, T5];
    Fourth: [T1, T2, T3] [T5];
    First: [] [T2, T3, T4, T5, T6];
    Second: [T1] [T3, T4, T5, T6];
    Third: [T1, T2] [T4, T5, T6];
    Fourth: [T1, T2, T3] [T5, T6];
    Fifth: [T1, T2, T3, T4] [T6];
    First: [] [T2, T3, T4, T5, T6, T7];
    Second: [T1] [T3, T4, T5, T6, T7];
    Third: [T1, T2] [T4, T5, T6, T7];
    Fourth: [T1, T2, T3] [T5, T6, T7];
    Fifth: [T1, T2, T3, T4] [T6, T7];
    Sixth: [T1, T2, T3, T4, T5] [T7];
    First: [] [T2, T3, T4, T5, T6, T7, T8];
    Second: [T1] [T3, T4, T5, T6, T7, T8];
    Third: [T1, T2] [T4, T5, T6, T7, T8];
    Fourth: [T1, T2, T3] [T5, T6, T7, T8];
    Fifth: [T1, T2, T3, T4] [T6, T7, T8];
    Sixth: [T1, T2, T3, T4, T5] [T7, T8];
    Seventh: [T1, T2, T3, T4, T5, T6] [T8];
}

impl<S: Send + Sync + 'static> BindingsBuilder<S> {
    /// Binds a handler of message `M` for the role `R` of the handler's
    /// [`TypedPeer<R>`] argument; its other arguments are extractors and its
    /// last the payload, of type `M::Payload`. A role `M` does not allow is
    /// a compile error, and so is a handler without exactly one typed peer.
    pub fn handle<M, R, I, J, T, H>(self, _message: M, handler: H) -> Result<Self, BindError>
    where
        M: MessageType,
        R: RoleType,
        M::Senders: Contains<R, I>,
        T: HandlerArgs<Payload = M::Payload> + HasPeer<R, J>,
        H: Handler<T, S>,
    {
        self.from_role(R::NAME)
            .on(M::NAME, handler)
            .map(crate::SenderScope::done)
    }

    /// Binds one handler of message `M` for every role allowed to send it;
    /// its last argument is the payload, of type `M::Payload`.
    pub fn handle_any<M, T, H>(self, _message: M, handler: H) -> Result<Self, BindError>
    where
        M: MessageType,
        T: HandlerArgs<Payload = M::Payload>,
        H: Handler<T, S>,
    {
        self.on(M::NAME, handler)
    }
}
