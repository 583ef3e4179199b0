//! The chat network, fluent: declared with the network builder and bound per
//! sender role with handlers on dynamic JSON payloads (for networks assembled
//! at run time).

use openws::{BindError, Bindings, BindingsBuilder, Ctx, HandlerError, Message, Network, Role};
use serde_json::Value;

use super::{
    Chat, JoinedRoom, ReceivedMessage, ReceivedRoomStats, RequestRoomStats, RoomRequest,
    SendMessage, text,
};

/// The network, from the builder.
pub(crate) fn network() -> Network {
    Network::builder("chat")
        .description(text::NETWORK)
        .role(
            Role::host("server")
                .description(text::SERVER)
                .message(
                    Message::new("createRoom")
                        .payload::<RoomRequest>()
                        .from(["client"]),
                )
                .message(
                    Message::new("joinRoom")
                        .payload::<RoomRequest>()
                        .from(["client"]),
                )
                .message(
                    Message::new("sendMessage")
                        .payload::<SendMessage>()
                        .from(["client", "portal"]),
                )
                .message(
                    Message::new("requestRoomStats")
                        .payload::<RequestRoomStats>()
                        .from(["portal"]),
                ),
        )
        .role(
            Role::new("client")
                .description(text::CLIENT)
                .message(Message::new("joinedRoom").payload::<JoinedRoom>())
                .message(Message::new("receivedMessage").payload::<ReceivedMessage>()),
        )
        .role(
            Role::new("portal")
                .description(text::PORTAL)
                .message(Message::new("receivedRoomStats").payload::<ReceivedRoomStats>()),
        )
        .build()
        .expect("the chat network is valid")
}

/// A payload that passed its schema, read into the logic's type.
fn read<T: serde::de::DeserializeOwned>(payload: Value) -> Result<T, HandlerError> {
    Ok(serde_json::from_value(payload)?)
}

/// Binds `network` (which must be the chat network) with JSON handlers, one
/// set per sending role: the portal's `sendMessage` has its own handler.
pub(crate) fn bind_json(network: Network, chat: Chat) -> Result<BindingsBuilder<Chat>, BindError> {
    let builder = Bindings::builder(network, chat)
        .from_role("client")
        .on("createRoom", |ctx: Ctx<Chat>, payload: Value| async move {
            ctx.state().create_room(ctx.peer(), read(payload)?).await
        })?
        .on("joinRoom", |ctx: Ctx<Chat>, payload: Value| async move {
            ctx.state().join_room(ctx.peer(), read(payload)?).await
        })?
        .on("sendMessage", |ctx: Ctx<Chat>, payload: Value| async move {
            ctx.state().send_message(ctx.peer(), read(payload)?).await
        })?
        .from_role("portal")
        .on("sendMessage", |ctx: Ctx<Chat>, payload: Value| async move {
            tracing::info!(room = %payload["roomId"], "portal notice");
            ctx.state().send_message(ctx.peer(), read(payload)?).await
        })?
        .on(
            "requestRoomStats",
            |ctx: Ctx<Chat>, payload: Value| async move {
                let stats = ctx.state().room_stats(ctx.hub(), read(payload)?).await?;
                ctx.reply("receivedRoomStats", &stats).await?;
                Ok::<_, HandlerError>(())
            },
        )?;
    Ok(builder.done())
}

/// Binds the builder-declared network.
pub(crate) fn bind(chat: Chat) -> Result<BindingsBuilder<Chat>, BindError> {
    bind_json(network(), chat)
}
