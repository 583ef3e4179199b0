//! The chat network of the OpenWS seed: rooms, members and an admin portal,
//! written in each authoring style (see `docs/authoring.md`).
//!
//! Shared by the chat examples and the end-to-end tests. The rooms logic
//! lives here once; each style module only declares the network and wires
//! its handlers to it.

mod document;
mod fluent;
mod macros;
pub(crate) mod trait_first;

use std::collections::HashMap;
use std::sync::Mutex;

use openws::{
    Admission, BindError, Bindings, BindingsBuilder, ConnectRequest, ConnectionId, HandlerError,
    Network, Peer, Rejection,
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

/// Descriptions shared by every style, so they all describe the same network.
pub(crate) mod text {
    pub(crate) const NETWORK: &str = "A chat network: clients meet in rooms, a portal watches them";
    pub(crate) const SERVER: &str = "The chat server";
    pub(crate) const CLIENT: &str = "A chat user's app";
    pub(crate) const PORTAL: &str = "The admin portal";
}

/// The ways the chat network is written; each yields the same spec and behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Attribute macros on role types and on the state's `impl` block.
    Macro,
    /// Roles and messages as Rust types implementing the typed traits.
    Trait,
    /// The network builder, with handlers on dynamic JSON payloads per sender.
    Fluent,
    /// An OpenWS JSON document, bound by message name.
    Document,
}

impl Style {
    /// Every style.
    pub(crate) const ALL: [Style; 4] = [Style::Macro, Style::Trait, Style::Fluent, Style::Document];

    /// The style's command-line name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Style::Macro => "macro",
            Style::Trait => "trait",
            Style::Fluent => "fluent",
            Style::Document => "document",
        }
    }

    /// The style named `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|style| style.name() == name)
    }
}

/// The chat network, as `style` declares it.
pub(crate) fn network(style: Style) -> Network {
    match style {
        Style::Macro => macros::network(),
        Style::Trait => trait_first::network(),
        Style::Fluent => fluent::network(),
        Style::Document => document::network(),
    }
}

/// The chat network with its handlers, written in the trait-first style; the
/// portal authenticates with `portal_token`.
pub(crate) fn bindings(portal_token: impl Into<String>) -> Result<Bindings, BindError> {
    bindings_in(Style::Trait, portal_token)
}

/// The chat network with its handlers, written in `style`.
pub(crate) fn bindings_in(
    style: Style,
    portal_token: impl Into<String>,
) -> Result<Bindings, BindError> {
    let chat = Chat::new(portal_token.into());
    let builder = match style {
        Style::Macro => macros::bind(chat)?,
        Style::Trait => trait_first::bind(chat)?,
        Style::Fluent => fluent::bind(chat)?,
        Style::Document => document::bind(chat)?,
    };
    with_route_rules(builder).build()
}

/// Clients choose their role in their first frame; the portal authenticates
/// in the upgrade request; leaving users are forgotten.
fn with_route_rules(builder: BindingsBuilder<Chat>) -> BindingsBuilder<Chat> {
    builder
        .open_roles(["client"])
        .on_connect(|request, chat| async move { chat.admit(&request) })
        .on_close(|ctx| async move { ctx.state().forget(ctx.connection_id()) })
}

/// The portal token from `CHAT_PORTAL_TOKEN`, or the development default.
pub(crate) fn portal_token_from_env() -> String {
    std::env::var("CHAT_PORTAL_TOKEN").unwrap_or_else(|_| DEFAULT_PORTAL_TOKEN.to_owned())
}

/// Rooms and the peer handle of every user, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Chat {
    portal_token: String,
    rooms: Mutex<HashMap<String, Vec<String>>>,
    users: Mutex<HashMap<String, Peer>>,
}

impl Chat {
    fn new(portal_token: String) -> Self {
        Self {
            portal_token,
            ..Self::default()
        }
    }

    /// Opens `room_id` with `user_id` as its only member and tells the creator.
    pub(crate) async fn create_room(
        &self,
        peer: &Peer,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        {
            let mut rooms = self.rooms.lock().unwrap();
            if rooms.contains_key(&request.room_id) {
                return Err(HandlerError::new(format!(
                    "room `{}` already exists",
                    request.room_id
                )));
            }
            rooms.insert(request.room_id.clone(), vec![request.user_id.clone()]);
        }
        self.remember(&request.user_id, peer);
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        peer.send("joinedRoom", &joined).await?;
        Ok(())
    }

    /// Adds `user_id` to an existing room and tells every member, the joiner included.
    pub(crate) async fn join_room(
        &self,
        peer: &Peer,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        {
            let mut rooms = self.rooms.lock().unwrap();
            let members = rooms
                .get_mut(&request.room_id)
                .ok_or_else(|| no_room(&request.room_id))?;
            if !members.contains(&request.user_id) {
                members.push(request.user_id.clone());
            }
        }
        self.remember(&request.user_id, peer);
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        for (_, member) in self.members(&joined.room_id)? {
            deliver(member, "joinedRoom", &joined).await;
        }
        Ok(())
    }

    /// Delivers a message to every member of the room but its sender.
    pub(crate) async fn send_message(&self, message: SendMessage) -> Result<(), HandlerError> {
        let received = ReceivedMessage {
            room_id: message.room_id,
            sender_id: message.user_id,
            text: message.text,
        };
        for (member, peer) in self.members(&received.room_id)? {
            if member != received.sender_id {
                deliver(peer, "receivedMessage", &received).await;
            }
        }
        Ok(())
    }

    /// Who is in a room.
    pub(crate) fn room_stats(
        &self,
        request: RequestRoomStats,
    ) -> Result<ReceivedRoomStats, HandlerError> {
        let members = self.members(&request.room_id)?;
        Ok(ReceivedRoomStats {
            room_id: request.room_id,
            members: members.into_iter().map(|(member, _)| member).collect(),
        })
    }

    /// Forgets the users of a closed connection and takes them out of their rooms.
    /// Takes one lock at a time: `members` holds `rooms` while it reads `users`,
    /// so holding `users` while taking `rooms` here could deadlock.
    fn forget(&self, connection: ConnectionId) {
        let gone: Vec<String> = {
            let mut users = self.users.lock().unwrap();
            let gone = users
                .iter()
                .filter(|(_, peer)| peer.connection_id() == connection)
                .map(|(user, _)| user.clone())
                .collect::<Vec<_>>();
            users.retain(|user, _| !gone.contains(user));
            gone
        };
        for members in self.rooms.lock().unwrap().values_mut() {
            members.retain(|member| !gone.contains(member));
        }
    }

    /// Portal with the right bearer token; anyone else chooses `client` in their first frame.
    fn admit(&self, request: &ConnectRequest) -> Result<Admission, Rejection> {
        match request.bearer_token() {
            None => Ok(Admission::first_frame()),
            Some(token) if constant_time_eq(token, &self.portal_token) => {
                Ok(Admission::role("portal"))
            }
            Some(_) => Err(Rejection::unauthorized("invalid portal token")),
        }
    }

    /// Members of `room_id` with their handles (if still connected).
    fn members(&self, room_id: &str) -> Result<Vec<(String, Option<Peer>)>, HandlerError> {
        let rooms = self.rooms.lock().unwrap();
        let members = rooms.get(room_id).ok_or_else(|| no_room(room_id))?;
        let users = self.users.lock().unwrap();
        Ok(members
            .iter()
            .map(|member| (member.clone(), users.get(member).cloned()))
            .collect())
    }

    fn remember(&self, user_id: &str, peer: &Peer) {
        self.users
            .lock()
            .unwrap()
            .insert(user_id.to_owned(), peer.clone());
    }
}

fn no_room(room_id: &str) -> HandlerError {
    HandlerError::new(format!("room `{room_id}` does not exist"))
}

/// Sends to one member; a member who left meanwhile is skipped, not an error
/// for the sender.
async fn deliver<T: Serialize>(peer: Option<Peer>, message: &str, payload: &T) {
    let Some(peer) = peer else { return };
    if let Err(error) = peer.send(message, payload).await {
        tracing::debug!(peer = ?peer, %error, "member not reached");
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}
