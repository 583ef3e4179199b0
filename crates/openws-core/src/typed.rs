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

use crate::network::{Message, Role};
use crate::runtime::{Peer, SendError};
use crate::{BindError, BindingsBuilder, Ctx, HandlerError};

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

/// Position markers for [`Contains`].
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
pub struct TypedPeer<R> {
    peer: Peer,
    role: PhantomData<fn() -> R>,
}

impl<R: RoleType> TypedPeer<R> {
    /// Types `peer`, if it holds role `R`.
    pub fn new(peer: Peer) -> Option<Self> {
        (peer.role() == R::NAME).then(|| Self::assume(peer))
    }

    pub(crate) fn assume(peer: Peer) -> Self {
        Self {
            peer,
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

    /// The untyped handle.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }
}

impl<R> Clone for TypedPeer<R> {
    fn clone(&self) -> Self {
        Self {
            peer: self.peer.clone(),
            role: PhantomData,
        }
    }
}

impl<R> fmt::Debug for TypedPeer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedPeer").field(&self.peer).finish()
    }
}

impl<S: Send + Sync + 'static> BindingsBuilder<S> {
    /// Binds a handler of message `M` sent by role `R`; the handler gets a
    /// [`TypedPeer<R>`] for answering. A role `M` does not allow is a compile error.
    pub fn handle<M, R, I, F, Fut, E>(self, _message: M, handler: F) -> Result<Self, BindError>
    where
        M: MessageType,
        R: RoleType,
        M::Senders: Contains<R, I>,
        F: Fn(Ctx<S>, TypedPeer<R>, M::Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError>,
    {
        self.from_role(R::NAME)
            .on(M::NAME, move |ctx: Ctx<S>, payload: M::Payload| {
                let peer = TypedPeer::assume(ctx.peer().clone());
                handler(ctx, peer, payload)
            })
            .map(crate::SenderScope::done)
    }

    /// Binds one handler of message `M` for every role allowed to send it.
    pub fn handle_any<M, F, Fut, E>(self, _message: M, handler: F) -> Result<Self, BindError>
    where
        M: MessageType,
        F: Fn(Ctx<S>, M::Payload) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<HandlerError>,
    {
        self.on(M::NAME, handler)
    }
}
