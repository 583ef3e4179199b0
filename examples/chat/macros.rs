//! The chat network, with attribute macros (the analog of the JS decorators):
//! remote roles list the messages they receive and get typed peer methods;
//! the host role is the `impl` block of the chat state, one `#[handler]` per message.

use openws::typed::{MessageType, TypedPeer};
use openws::{BindError, BindingsBuilder, Ctx, HandlerError, Network};

use super::{
    Chat, JoinedRoom, ReceivedMessage, ReceivedRoomStats, RequestRoomStats, RoomRequest,
    SendMessage, text,
};

#[openws::role(
    name = "client",
    description = text::CLIENT,
    messages(joined_room: JoinedRoom, received_message: ReceivedMessage)
)]
pub(crate) struct Client;

#[openws::role(
    name = "portal",
    description = text::PORTAL,
    messages(received_room_stats: ReceivedRoomStats)
)]
pub(crate) struct Portal;

/// The chat server
#[openws::host(
    name = "server",
    roles = [Client, Portal],
    network(name = "chat", description = text::NETWORK),
    module = server_messages,
)]
impl Chat {
    /// Only clients create rooms: the typed peer says so, and the spec's `from` follows.
    #[handler(name = "createRoom")]
    async fn on_create_room(
        &self,
        client: TypedPeer<Client>,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        // `client.received_room_stats(..)` would not compile: clients do not receive it.
        self.create_room(client.peer(), request).await
    }

    #[handler(name = "joinRoom")]
    async fn on_join_room(
        &self,
        client: TypedPeer<Client>,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        self.join_room(client.peer(), request).await
    }

    #[handler(name = "sendMessage", from = [Client, Portal])]
    async fn on_send_message(
        &self,
        ctx: Ctx<Self>,
        message: SendMessage,
    ) -> Result<(), HandlerError> {
        self.send_message(ctx.peer(), message).await
    }

    #[handler(name = "requestRoomStats", from = [Portal])]
    async fn on_request_room_stats(
        &self,
        ctx: Ctx<Self>,
        request: RequestRoomStats,
    ) -> Result<(), HandlerError> {
        let stats = self.room_stats(ctx.hub(), request).await?;
        ctx.reply(portal::ReceivedRoomStats::NAME, &stats).await?;
        Ok(())
    }
}

/// The network, from the attributes.
pub(crate) fn network() -> Network {
    Chat::network()
}

/// The handlers, from the `#[handler]` methods.
pub(crate) fn bind(chat: Chat) -> Result<BindingsBuilder<Chat>, BindError> {
    chat.bindings()
}
