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
use std::time::SystemTime;

use openws::hub::Labels;
use openws::{
    Admission, BindError, Bindings, BindingsBuilder, ConnectRequest, Connection, ConnectionId,
    HandlerError, Hub, Network, Peer, Rejection,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Default portal token when `CHAT_PORTAL_TOKEN` is not set.
pub(crate) const DEFAULT_PORTAL_TOKEN: &str = "dev-portal-token";

/// Default management token when `CHAT_ADMIN_TOKEN` is not set.
pub(crate) const DEFAULT_ADMIN_TOKEN: &str = "dev-admin-token";

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
    builder(style, portal_token)?.build()
}

/// The chat as the example servers run it: tokens from the environment, and
/// the management endpoints on (see `docs/adapters.md`).
pub(crate) fn bindings_from_env() -> Result<Bindings, BindError> {
    builder_from_env()?.build()
}

/// [`bindings_from_env`] before it is built, for more options (a backplane).
pub(crate) fn builder_from_env() -> Result<BindingsBuilder<Chat>, BindError> {
    Ok(builder(Style::Trait, portal_token_from_env())?.management(admin_token_from_env()))
}

/// The chat network's handlers and route rules, written in `style`.
pub(crate) fn builder(
    style: Style,
    portal_token: impl Into<String>,
) -> Result<BindingsBuilder<Chat>, BindError> {
    let chat = Chat::new(portal_token.into());
    let builder = match style {
        Style::Macro => macros::bind(chat)?,
        Style::Trait => trait_first::bind(chat)?,
        Style::Fluent => fluent::bind(chat)?,
        Style::Document => document::bind(chat)?,
    };
    Ok(with_route_rules(builder))
}

/// Clients choose their role in their first frame; the portal authenticates
/// in the upgrade request; a leaving user's id is released (the hub takes the
/// connection out of its rooms). The route speaks the [`SUBPROTOCOL`], which
/// a browser offers next to a `bearer.<token>` one.
fn with_route_rules(builder: BindingsBuilder<Chat>) -> BindingsBuilder<Chat> {
    builder
        .subprotocols([SUBPROTOCOL])
        .subprotocol_optional()
        .open_roles(["client"])
        .on_connect(|request, chat| async move { chat.admit(&request) })
        .on_close(|ctx| async move { ctx.state().release(ctx.connection()) })
        .max_rooms_per_connection(MAX_ROOMS_PER_USER)
}

/// The subprotocol the chat route speaks (clients may also offer none).
pub(crate) const SUBPROTOCOL: &str = "openws";

/// How many rooms one client connection may be in.
pub(crate) const MAX_ROOMS_PER_USER: usize = 32;

/// The portal token from `CHAT_PORTAL_TOKEN`, or the development default.
pub(crate) fn portal_token_from_env() -> String {
    std::env::var("CHAT_PORTAL_TOKEN").unwrap_or_else(|_| DEFAULT_PORTAL_TOKEN.to_owned())
}

/// The management token from `CHAT_ADMIN_TOKEN`, or the development default.
pub(crate) fn admin_token_from_env() -> String {
    std::env::var("CHAT_ADMIN_TOKEN").unwrap_or_else(|_| DEFAULT_ADMIN_TOKEN.to_owned())
}

/// The label naming a client's user, shown in listings on every node.
pub(crate) const USER_LABEL: &str = "user";

/// The label saying when a client claimed its user (nanoseconds since the
/// Unix epoch), which settles two claims of one user made at once on two nodes.
pub(crate) const CLAIMED_LABEL: &str = "claimed";

/// The user id a client connection speaks as, bound by its first
/// `createRoom` or `joinRoom` (per-connection state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Speaker(pub(crate) String);

/// The chat's rules around the hub: who speaks as which user. Rooms and their
/// members are the hub's.
#[derive(Debug, Default)]
pub(crate) struct Chat {
    portal_token: String,
    /// Which connection holds each user id, while it is connected.
    claims: Mutex<HashMap<String, ConnectionId>>,
}

impl Chat {
    fn new(portal_token: String) -> Self {
        Self {
            portal_token,
            ..Self::default()
        }
    }

    /// Opens `room_id` with the sender as its only member and tells the creator.
    pub(crate) async fn create_room(
        &self,
        peer: &Peer,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        self.claim(peer, &request.user_id).await?;
        peer.hub()
            .create_room(peer.connection_id(), &request.room_id)
            .await
            .map_err(refused)?;
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        peer.send("joinedRoom", &joined).await?;
        Ok(())
    }

    /// Adds the sender to an existing room and tells every member, the joiner included.
    pub(crate) async fn join_room(
        &self,
        peer: &Peer,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        self.claim(peer, &request.user_id).await?;
        peer.hub()
            .join_existing(peer.connection_id(), &request.room_id)
            .await
            .map_err(refused)?;
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        peer.hub()
            .to(joined.room_id.as_str())
            .send("joinedRoom", &joined)
            .await?;
        Ok(())
    }

    /// Delivers a message to every member of the room but its sender. A client
    /// speaks only as its own user and only in rooms it is in; the portal may
    /// post to any room under any name.
    pub(crate) async fn send_message(
        &self,
        sender: &Peer,
        message: SendMessage,
    ) -> Result<(), HandlerError> {
        let hub = sender.hub();
        if sender.role() == "client" {
            self.claim(sender, &message.user_id).await?;
            if !sender.connection().in_room(&message.room_id) {
                return Err(HandlerError::new(format!(
                    "you are not in room `{}`",
                    message.room_id
                )));
            }
        } else if !hub.room_exists(&message.room_id).await.map_err(refused)? {
            return Err(no_room(&message.room_id));
        }
        let received = ReceivedMessage {
            room_id: message.room_id,
            sender_id: message.user_id,
            text: message.text,
        };
        hub.to(received.room_id.as_str())
            .except(sender.connection_id())
            .send("receivedMessage", &received)
            .await?;
        Ok(())
    }

    /// Who is in a room, on every node: each node's members in the order they
    /// joined. Members are named by their `user` label, which other nodes see.
    pub(crate) async fn room_stats(
        &self,
        hub: &Hub,
        request: RequestRoomStats,
    ) -> Result<ReceivedRoomStats, HandlerError> {
        let listing = hub.list(Some(&request.room_id)).await.map_err(refused)?;
        if !listing.unanswered_nodes.is_empty() {
            tracing::warn!(nodes = ?listing.unanswered_nodes, "room stats without some nodes");
        }
        let members: Vec<String> = listing
            .connections
            .into_iter()
            .filter_map(|mut member| member.labels.remove(USER_LABEL))
            .collect();
        if members.is_empty() {
            return Err(no_room(&request.room_id));
        }
        Ok(ReceivedRoomStats {
            room_id: request.room_id,
            members,
        })
    }

    /// Binds `user_id` to the sender's connection on its first claim; refuses
    /// a claim of another user, or of a user another connection holds, on
    /// this node or (in a cluster) on any node.
    async fn claim(&self, peer: &Peer, user_id: &str) -> Result<(), HandlerError> {
        let connection = peer.connection();
        let speaks_as_user = |s: Option<&mut Speaker>| s.map(|Speaker(current)| current == user_id);
        match connection.with(speaks_as_user) {
            Some(true) => return Ok(()),
            Some(false) => {
                let Speaker(current) = connection
                    .get::<Speaker>()
                    .unwrap_or(Speaker(String::new()));
                return Err(HandlerError::new(format!(
                    "this connection speaks as `{current}`, not `{user_id}`"
                )));
            }
            None => {}
        }
        {
            let mut claims = self.claims.lock().unwrap();
            match claims.get(user_id) {
                Some(holder) if *holder != connection.id() => {
                    return Err(connected_elsewhere(user_id));
                }
                _ => claims.insert(user_id.to_owned(), connection.id()),
            };
        }
        let claimed_at = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        connection.insert(Speaker(user_id.to_owned()));
        connection.insert(
            Labels::new()
                .with(USER_LABEL, user_id)
                .with(CLAIMED_LABEL, claimed_at.to_string()),
        );
        if peer.hub().spans_nodes()
            && self
                .claimed_on_another_node(peer, user_id, claimed_at)
                .await
        {
            self.release(connection);
            connection.remove::<Speaker>();
            connection.remove::<Labels>();
            return Err(connected_elsewhere(user_id));
        }
        Ok(())
    }

    /// Whether a connection on another node claimed `user_id` before this
    /// one did (at `claimed_at`; the smaller connection id wins a tie). Both
    /// claims are labelled before either looks, so of two claims made at once
    /// at least one sees the other, and exactly one stands. A node that does
    /// not answer in time is not waited for (and logged).
    async fn claimed_on_another_node(&self, peer: &Peer, user_id: &str, claimed_at: u128) -> bool {
        let listing = match peer.hub().list(None).await {
            Ok(listing) => listing,
            Err(error) => {
                tracing::warn!(%error, "cannot check the cluster for user `{user_id}`");
                return false;
            }
        };
        if !listing.unanswered_nodes.is_empty() {
            tracing::warn!(nodes = ?listing.unanswered_nodes, "user claim checked without some nodes");
        }
        let mine = (claimed_at, peer.connection_id().to_string());
        listing.connections.iter().any(|other| {
            let theirs = other
                .labels
                .get(CLAIMED_LABEL)
                .and_then(|at| at.parse::<u128>().ok())
                .map(|at| (at, other.id.to_string()));
            other.id != peer.connection_id()
                && other.labels.get(USER_LABEL).map(String::as_str) == Some(user_id)
                && theirs.is_some_and(|theirs| theirs < mine)
        })
    }

    /// Frees the user id a closed connection held.
    fn release(&self, connection: &Connection) {
        if let Some(Speaker(user)) = connection.get::<Speaker>() {
            let mut claims = self.claims.lock().unwrap();
            if claims.get(&user) == Some(&connection.id()) {
                claims.remove(&user);
            }
        }
    }

    /// Portal with the right token (a bearer header, a `bearer.<token>`
    /// subprotocol or a `token` query parameter, for browsers); anyone else
    /// chooses `client` in their first frame.
    fn admit(&self, request: &ConnectRequest) -> Result<Admission, Rejection> {
        match request.token() {
            None => Ok(Admission::first_frame()),
            Some(_) if request.token_is(&self.portal_token) => Ok(Admission::role("portal")),
            Some(_) => Err(Rejection::unauthorized("invalid portal token")),
        }
    }
}

fn connected_elsewhere(user_id: &str) -> HandlerError {
    HandlerError::new(format!("user `{user_id}` is connected elsewhere"))
}

fn no_room(room_id: &str) -> HandlerError {
    HandlerError::new(format!("room `{room_id}` does not exist"))
}

/// A hub refusal (room exists, no such room, too many rooms) as the sender sees it.
fn refused(error: openws::HubError) -> HandlerError {
    HandlerError::new(error.to_string())
}
