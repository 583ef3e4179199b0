//! The chat network, trait-first: roles and messages are Rust types, and the
//! compiler checks who may send what (the analog of the JS class-first style).

use openws::typed::{Anyone, MessageType, RoleType, TypedPeer};
use openws::{BindError, Bindings, BindingsBuilder, Ctx, HandlerError, Network, Role};

use super::{
    Chat, JoinedRoom, ReceivedMessage, ReceivedRoomStats, RequestRoomStats, RoomRequest,
    SendMessage, text,
};

/// The chat server: the role this process implements.
pub(crate) struct Server;
/// A chat user's app.
pub(crate) struct Client;
/// The admin portal.
pub(crate) struct Portal;

impl RoleType for Server {
    const NAME: &'static str = "server";
    fn declare() -> Role {
        Role::host(Self::NAME)
            .description(text::SERVER)
            .message(CreateRoom::declare())
            .message(JoinRoom::declare())
            .message(PostMessage::declare())
            .message(RoomStatsRequest::declare())
    }
}

impl RoleType for Client {
    const NAME: &'static str = "client";
    fn declare() -> Role {
        Role::new(Self::NAME)
            .description(text::CLIENT)
            .message(Joined::declare())
            .message(Received::declare())
    }
}

impl RoleType for Portal {
    const NAME: &'static str = "portal";
    fn declare() -> Role {
        Role::new(Self::NAME)
            .description(text::PORTAL)
            .message(RoomStats::declare())
    }
}

/// Declares a message type: its name, payload, receiver and senders.
macro_rules! message {
    ($marker:ident = $name:literal: $payload:ty, to $receiver:ty, from $senders:ty) => {
        #[doc = concat!("The `", $name, "` message.")]
        pub(crate) struct $marker;
        impl MessageType for $marker {
            const NAME: &'static str = $name;
            type Payload = $payload;
            type Receiver = $receiver;
            type Senders = $senders;
        }
    };
}

message!(CreateRoom = "createRoom": RoomRequest, to Server, from (Client,));
message!(JoinRoom = "joinRoom": RoomRequest, to Server, from (Client,));
message!(PostMessage = "sendMessage": SendMessage, to Server, from (Client, Portal));
message!(RoomStatsRequest = "requestRoomStats": RequestRoomStats, to Server, from (Portal,));
message!(Joined = "joinedRoom": JoinedRoom, to Client, from Anyone);
message!(Received = "receivedMessage": ReceivedMessage, to Client, from Anyone);
message!(RoomStats = "receivedRoomStats": ReceivedRoomStats, to Portal, from Anyone);

/// The network, from the role types.
pub(crate) fn network() -> Network {
    Network::builder("chat")
        .description(text::NETWORK)
        .role(Server::declare())
        .role(Client::declare())
        .role(Portal::declare())
        .build()
        .expect("the chat network is valid")
}

async fn create_room(
    ctx: Ctx<Chat>,
    client: TypedPeer<Client>,
    request: RoomRequest,
) -> Result<(), HandlerError> {
    // `client.send::<RoomStats>(..)` would not compile: clients do not receive `receivedRoomStats`.
    ctx.state().create_room(client.peer(), request).await
}

async fn join_room(
    ctx: Ctx<Chat>,
    client: TypedPeer<Client>,
    request: RoomRequest,
) -> Result<(), HandlerError> {
    ctx.state().join_room(client.peer(), request).await
}

async fn send_message(ctx: Ctx<Chat>, message: SendMessage) -> Result<(), HandlerError> {
    ctx.state().send_message(ctx.peer(), message).await
}

async fn request_room_stats(ctx: Ctx<Chat>, request: RequestRoomStats) -> Result<(), HandlerError> {
    let stats = ctx.state().room_stats(ctx.hub(), request).await?;
    ctx.reply(RoomStats::NAME, &stats).await?;
    Ok(())
}

/// Binds the handlers; senders are checked against each message's `Senders` at compile time.
pub(crate) fn bind(chat: Chat) -> Result<BindingsBuilder<Chat>, BindError> {
    Bindings::builder(network(), chat)
        .handle(CreateRoom, create_room)?
        .handle(JoinRoom, join_room)?
        .handle_any(PostMessage, send_message)?
        .handle_any(RoomStatsRequest, request_room_stats)
}
