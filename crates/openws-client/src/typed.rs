//! A client for a role described by a type: it can only send what the role may send.

use std::fmt;
use std::marker::PhantomData;

use openws_core::typed::{Contains, MessageType, RoleType};

use crate::connection::{Client, ClientBuilder};
use crate::error::ClientError;
use crate::frame::{Frame, MessageFrame};

/// A [`Client`] holding role `R`, for networks written with the core's typed
/// roles ([`RoleType`], [`MessageType`]). Sending a message whose `Senders`
/// do not include `R` does not compile.
///
/// ```no_run
/// use openws_client::TypedClient;
/// use openws_core::typed::{MessageType, RoleType};
/// use openws_core::Role;
///
/// struct Server;
/// struct Player;
/// struct Move;
/// impl RoleType for Server {
///     const NAME: &'static str = "server";
///     fn declare() -> Role { Role::host(Self::NAME).message(Move::declare()) }
/// }
/// impl RoleType for Player {
///     const NAME: &'static str = "player";
///     fn declare() -> Role { Role::new(Self::NAME) }
/// }
/// impl MessageType for Move {
///     const NAME: &'static str = "move";
///     type Payload = u32;
///     type Receiver = Server;
///     type Senders = (Player,);
/// }
///
/// # async fn run() -> Result<(), openws_client::ClientError> {
/// let player = TypedClient::<Player>::connect("ws://127.0.0.1:8080/game").await?;
/// player.send(Move, &3).await?;
/// # Ok(())
/// # }
/// ```
///
/// A role that is not among the message's senders is refused by the compiler:
///
/// ```compile_fail
/// # use openws_client::TypedClient;
/// # use openws_core::typed::{MessageType, RoleType};
/// # use openws_core::Role;
/// # struct Server;
/// # struct Player;
/// # struct Spectator;
/// # struct Move;
/// # impl RoleType for Server {
/// #     const NAME: &'static str = "server";
/// #     fn declare() -> Role { Role::host(Self::NAME).message(Move::declare()) }
/// # }
/// # impl RoleType for Player {
/// #     const NAME: &'static str = "player";
/// #     fn declare() -> Role { Role::new(Self::NAME) }
/// # }
/// # impl RoleType for Spectator {
/// #     const NAME: &'static str = "spectator";
/// #     fn declare() -> Role { Role::new(Self::NAME) }
/// # }
/// # impl MessageType for Move {
/// #     const NAME: &'static str = "move";
/// #     type Payload = u32;
/// #     type Receiver = Server;
/// #     type Senders = (Player,);
/// # }
/// # async fn run() -> Result<(), openws_client::ClientError> {
/// let spectator = TypedClient::<Spectator>::connect("ws://127.0.0.1:8080/game").await?;
/// spectator.send(Move, &3).await?; // role `Spectator` is not allowed to send this message
/// # Ok(())
/// # }
/// ```
pub struct TypedClient<R> {
    client: Client,
    role: PhantomData<fn() -> R>,
}

impl<R: RoleType> TypedClient<R> {
    /// A builder for a connection to `url` as role `R` (add headers, timeouts).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        Client::builder(url, R::NAME)
    }

    /// Connects to `url` as role `R`.
    pub async fn connect(url: impl Into<String>) -> Result<Self, ClientError> {
        Self::connect_with(Self::builder(url)).await
    }

    /// Connects with `builder`, as role `R` whatever role it was given.
    pub async fn connect_with(builder: ClientBuilder) -> Result<Self, ClientError> {
        let client = builder.role(R::NAME).connect().await?;
        Ok(Self {
            client,
            role: PhantomData,
        })
    }

    /// Sends message `M`, which role `R` must be allowed to send.
    pub async fn send<M, I>(&self, _message: M, payload: &M::Payload) -> Result<(), ClientError>
    where
        M: MessageType,
        M::Senders: Contains<R, I>,
    {
        self.client.send(M::NAME, payload).await
    }

    /// Sends message `M` as a request and waits for its answer (see [`Client::request`]).
    pub async fn request<M, I>(
        &self,
        _message: M,
        payload: &M::Payload,
    ) -> Result<MessageFrame, ClientError>
    where
        M: MessageType,
        M::Senders: Contains<R, I>,
    {
        self.client.request(M::NAME, payload).await
    }

    /// The next frame (see [`Client::recv`]); decode messages with [`MessageFrame::decode`].
    pub async fn recv(&mut self) -> Option<Frame> {
        self.client.recv().await
    }

    /// The next frame, which must be message `M` for role `R`: its payload.
    /// An error frame is [`ClientError::Server`]; the end of the connection [`ClientError::Closed`].
    pub async fn recv_message<M>(&mut self, _message: M) -> Result<M::Payload, ClientError>
    where
        M: MessageType<Receiver = R>,
    {
        match self.client.recv().await {
            Some(frame) => Ok(frame.into_message()?.decode::<M>()?),
            None => Err(ClientError::Closed(self.client.close_info())),
        }
    }

    /// Closes the connection normally.
    pub async fn close(&self) -> Result<(), ClientError> {
        self.client.close().await
    }

    /// The untyped client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The untyped client, mutably (for [`Client::recv`]).
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

impl<R> fmt::Debug for TypedClient<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TypedClient").field(&self.client).finish()
    }
}
