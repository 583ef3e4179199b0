//! The chat network of the OpenWS seed: rooms, members and an admin portal.
//!
//! Shared by the chat examples and the end-to-end tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use openws::{
    Admission, BindError, Bindings, ConnectRequest, Ctx, HandlerError, Message, Network, Peer,
    Rejection, Role,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default portal token when `CHAT_PORTAL_TOKEN` is not set.
pub(crate) const DEFAULT_PORTAL_TOKEN: &str = "dev-portal-token";

/// `createRoom` / `joinRoom`: a user enters a room.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RoomRequest {
    pub(crate) user_id: String,
    pub(crate) room_id: String,
}

/// `sendMessage`: a user (or the portal, on a user's behalf) posts to a room.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendMessage {
    pub(crate) user_id: String,
    pub(crate) room_id: String,
    pub(crate) text: String,
}

/// `requestRoomStats`: the portal asks who is in a room.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestRoomStats {
    pub(crate) room_id: String,
}

/// `joinedRoom`: someone joined a room the client is in.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JoinedRoom {
    pub(crate) room_id: String,
    pub(crate) joiner_id: String,
}

/// `receivedMessage`: a message posted to a room the client is in.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceivedMessage {
    pub(crate) room_id: String,
    pub(crate) sender_id: String,
    pub(crate) text: String,
}

/// `receivedRoomStats`: the members of a room.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceivedRoomStats {
    pub(crate) room_id: String,
    pub(crate) members: Vec<String>,
}

/// The chat network: `server` (host), `client` and `portal`.
pub(crate) fn network() -> Network {
    Network::builder("chat")
        .description("A chat network: clients meet in rooms, a portal watches them")
        .role(
            Role::host("server")
                .description("The chat server")
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
                .description("A chat user's app")
                .message(Message::new("joinedRoom").payload::<JoinedRoom>())
                .message(Message::new("receivedMessage").payload::<ReceivedMessage>()),
        )
        .role(
            Role::new("portal")
                .description("The admin portal")
                .message(Message::new("receivedRoomStats").payload::<ReceivedRoomStats>()),
        )
        .build()
        .expect("the chat network is valid")
}

/// Rooms and the peer handle of every user, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Chat {
    portal_token: String,
    rooms: Mutex<HashMap<String, Vec<String>>>,
    users: Mutex<HashMap<String, Peer>>,
}

impl Chat {
    /// Members of `room_id` and their handles, or an error if the room does not exist.
    fn members(&self, room_id: &str) -> Result<Vec<(String, Option<Peer>)>, HandlerError> {
        let rooms = self.rooms.lock().unwrap();
        let members = rooms
            .get(room_id)
            .ok_or_else(|| HandlerError::new(format!("room `{room_id}` does not exist")))?;
        let users = self.users.lock().unwrap();
        Ok(members
            .iter()
            .map(|m| (m.clone(), users.get(m).cloned()))
            .collect())
    }

    fn remember(&self, user_id: &str, peer: &Peer) {
        self.users
            .lock()
            .unwrap()
            .insert(user_id.to_owned(), peer.clone());
    }
}

async fn create_room(ctx: Ctx<Chat>, request: RoomRequest) -> Result<(), HandlerError> {
    {
        let mut rooms = ctx.state().rooms.lock().unwrap();
        if rooms.contains_key(&request.room_id) {
            return Err(HandlerError::new(format!(
                "room `{}` already exists",
                request.room_id
            )));
        }
        rooms.insert(request.room_id.clone(), vec![request.user_id.clone()]);
    }
    ctx.state().remember(&request.user_id, ctx.peer());
    let joined = JoinedRoom {
        room_id: request.room_id,
        joiner_id: request.user_id,
    };
    ctx.peer().send("joinedRoom", &joined).await?;
    Ok(())
}

async fn join_room(ctx: Ctx<Chat>, request: RoomRequest) -> Result<(), HandlerError> {
    {
        let mut rooms = ctx.state().rooms.lock().unwrap();
        let members = rooms.get_mut(&request.room_id).ok_or_else(|| {
            HandlerError::new(format!("room `{}` does not exist", request.room_id))
        })?;
        if !members.contains(&request.user_id) {
            members.push(request.user_id.clone());
        }
    }
    ctx.state().remember(&request.user_id, ctx.peer());
    let joined = JoinedRoom {
        room_id: request.room_id,
        joiner_id: request.user_id,
    };
    for (_, peer) in ctx.state().members(&joined.room_id)? {
        if let Some(peer) = peer {
            deliver(&peer, "joinedRoom", &joined).await;
        }
    }
    Ok(())
}

async fn send_message(ctx: Ctx<Chat>, message: SendMessage) -> Result<(), HandlerError> {
    let received = ReceivedMessage {
        room_id: message.room_id,
        sender_id: message.user_id,
        text: message.text,
    };
    for (member, peer) in ctx.state().members(&received.room_id)? {
        if let Some(peer) = peer.filter(|_| member != received.sender_id) {
            deliver(&peer, "receivedMessage", &received).await;
        }
    }
    Ok(())
}

async fn request_room_stats(ctx: Ctx<Chat>, request: RequestRoomStats) -> Result<(), HandlerError> {
    let members = ctx.state().members(&request.room_id)?;
    let stats = ReceivedRoomStats {
        room_id: request.room_id,
        members: members.into_iter().map(|(member, _)| member).collect(),
    };
    ctx.reply("receivedRoomStats", &stats).await?;
    Ok(())
}

/// Forgets the users of a closed connection and takes them out of their rooms.
async fn forget_connection(ctx: Ctx<Chat>) {
    let id = ctx.connection_id();
    let mut users = ctx.state().users.lock().unwrap();
    let gone: Vec<String> = users
        .iter()
        .filter(|(_, peer)| peer.connection_id() == id)
        .map(|(user, _)| user.clone())
        .collect();
    users.retain(|user, _| !gone.contains(user));
    let mut rooms = ctx.state().rooms.lock().unwrap();
    for members in rooms.values_mut() {
        members.retain(|m| !gone.contains(m));
    }
}

/// Sends to one member; a member who left meanwhile is skipped, not an error
/// for the sender.
async fn deliver<T: Serialize>(peer: &Peer, message: &str, payload: &T) {
    if let Err(error) = peer.send(message, payload).await {
        tracing::debug!(peer = ?peer, %error, "member not reached");
    }
}

/// Portal with the right bearer token; anyone else chooses `client` in their first frame.
async fn admit(request: ConnectRequest, chat: Arc<Chat>) -> Result<Admission, Rejection> {
    match request.bearer_token() {
        None => Ok(Admission::first_frame()),
        Some(token) if constant_time_eq(token, &chat.portal_token) => Ok(Admission::role("portal")),
        Some(_) => Err(Rejection::unauthorized("invalid portal token")),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The chat network with its handlers; the portal authenticates with `portal_token`.
pub(crate) fn bindings(portal_token: impl Into<String>) -> Result<Bindings, BindError> {
    let chat = Chat {
        portal_token: portal_token.into(),
        ..Chat::default()
    };
    Bindings::builder(network(), chat)
        .on("createRoom", create_room)?
        .on("joinRoom", join_room)?
        .on("sendMessage", send_message)?
        .on("requestRoomStats", request_room_stats)?
        .open_roles(["client"])
        .on_connect(admit)
        .on_close(forget_connection)
        .build()
}

/// The portal token from `CHAT_PORTAL_TOKEN`, or the development default.
pub(crate) fn portal_token_from_env() -> String {
    std::env::var("CHAT_PORTAL_TOKEN").unwrap_or_else(|_| DEFAULT_PORTAL_TOKEN.to_owned())
}
