//! The seed's chat network declared with the macros: it exports the same spec
//! as the other styles, and its handlers answer frames driven through sessions.

#[allow(dead_code, unreachable_pub)]
#[path = "../../../examples/chat/mod.rs"]
mod chat;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chat::{
    JoinedRoom, ReceivedMessage, ReceivedRoomStats, RequestRoomStats, RoomRequest, SendMessage,
    text,
};
use openws::typed::{MessageType, RoleType, TypedPeer};
use openws::{Admission, Ctx, HandlerError, Outbox, Outgoing, Session};
use serde_json::{Value, json};

/// A chat user's app
#[openws::role(
    name = "client",
    messages(joined_room: JoinedRoom, received_message: ReceivedMessage)
)]
struct Client;

#[openws::role(
    name = "portal",
    description = text::PORTAL,
    messages(received_room_stats: ReceivedRoomStats)
)]
struct Portal;

/// The members of a room, with their typed handles.
type Members = Vec<(String, TypedPeer<Client>)>;

/// The chat state: rooms and a count of the portal's posts.
#[derive(Default)]
struct ChatServer {
    rooms: Mutex<HashMap<String, Members>>,
    posted_by_portal: Arc<AtomicU32>,
}

/// The chat server
#[openws::host(
    name = "server",
    roles = [Client, Portal],
    network(name = "chat", description = text::NETWORK),
)]
impl ChatServer {
    #[handler]
    async fn create_room(
        &self,
        client: TypedPeer<Client>,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        self.rooms.lock().unwrap().insert(
            request.room_id.clone(),
            vec![(request.user_id.clone(), client.clone())],
        );
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        client.joined_room(&joined).await?;
        Ok(())
    }

    #[handler(from = [Client])]
    async fn join_room(
        &self,
        client: TypedPeer<Client>,
        request: RoomRequest,
    ) -> Result<(), HandlerError> {
        let members = {
            let mut rooms = self.rooms.lock().unwrap();
            let members = rooms
                .get_mut(&request.room_id)
                .ok_or_else(|| HandlerError::new("no such room"))?;
            members.push((request.user_id.clone(), client));
            members.clone()
        };
        let joined = JoinedRoom {
            room_id: request.room_id,
            joiner_id: request.user_id,
        };
        for (_, member) in members {
            member.joined_room(&joined).await?;
        }
        Ok(())
    }

    #[handler(from = [Client])]
    async fn send_message(&self, message: SendMessage) -> Result<(), HandlerError> {
        self.deliver(message).await
    }

    /// The portal posts on a user's behalf: same message, same payload, its own handler.
    #[handler(name = "sendMessage", from = [Portal])]
    async fn send_message_from_portal(&self, message: SendMessage) -> Result<(), HandlerError> {
        self.posted_by_portal.fetch_add(1, Ordering::SeqCst);
        self.deliver(message).await
    }

    #[handler(from = [Portal])]
    async fn request_room_stats(
        &self,
        ctx: Ctx<Self>,
        request: RequestRoomStats,
    ) -> Result<(), HandlerError> {
        let members = self.members(&request.room_id);
        let stats = ReceivedRoomStats {
            room_id: request.room_id,
            members: members.into_iter().map(|(user, _)| user).collect(),
        };
        ctx.reply(portal::ReceivedRoomStats::NAME, &stats).await?;
        Ok(())
    }

    fn members(&self, room_id: &str) -> Members {
        self.rooms
            .lock()
            .unwrap()
            .get(room_id)
            .cloned()
            .unwrap_or_default()
    }

    async fn deliver(&self, message: SendMessage) -> Result<(), HandlerError> {
        let received = ReceivedMessage {
            room_id: message.room_id,
            sender_id: message.user_id,
            text: message.text,
        };
        for (user, member) in self.members(&received.room_id) {
            if user != received.sender_id {
                member.received_message(&received).await?;
            }
        }
        Ok(())
    }
}

#[test]
fn the_macro_network_is_the_chat_network_of_every_other_style() {
    let declared = ChatServer::network().to_document().to_value();
    let reference = chat::network(chat::Style::Fluent).to_document().to_value();
    assert_eq!(declared, reference);
    assert_eq!(ChatServer::network(), chat::network(chat::Style::Trait));
}

#[test]
fn markers_carry_wire_names_and_senders() {
    assert_eq!(<ChatServer as RoleType>::NAME, "server");
    assert_eq!(client::JoinedRoom::NAME, "joinedRoom");
    assert_eq!(chat_server::SendMessage::NAME, "sendMessage");
    assert_eq!(
        <<chat_server::SendMessage as MessageType>::Senders as openws::typed::RoleList>::names(),
        Some(vec!["client", "portal"])
    );
}

fn frame(role: &str, name: &str, payload: Value) -> String {
    json!({"fromRole": role, "messageName": name, "payload": payload}).to_string()
}

fn next(outbox: &mut Outbox) -> Value {
    match outbox.try_recv() {
        Some(Outgoing::Text(bytes)) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

async fn send(session: &mut Session, role: &str, name: &str, payload: Value) {
    session
        .handle_text(&frame(role, name, payload))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
}

#[tokio::test]
async fn handlers_answer_through_typed_peers() {
    let bindings = ChatServer::default()
        .bindings()
        .unwrap()
        .open_roles(["client"])
        .on_connect(|request, _| async move {
            Ok(match request.bearer_token() {
                Some(_) => Admission::role("portal"),
                None => Admission::first_frame(),
            })
        })
        .build()
        .unwrap();
    let (mut alice, mut alice_out) = bindings.session(Admission::first_frame());
    let (mut bob, mut bob_out) = bindings.session(Admission::role("client"));
    let (mut portal, mut portal_out) = bindings.session(Admission::role("portal"));

    let room = json!({"userId": "alice", "roomId": "r1"});
    send(&mut alice, "client", "createRoom", room).await;
    assert_eq!(
        next(&mut alice_out),
        json!({"fromRole": "server", "messageName": "joinedRoom",
               "payload": {"roomId": "r1", "joinerId": "alice"}})
    );

    let join = json!({"userId": "bob", "roomId": "r1"});
    send(&mut bob, "client", "joinRoom", join).await;
    assert_eq!(next(&mut alice_out)["payload"]["joinerId"], "bob");
    assert_eq!(next(&mut bob_out)["payload"]["joinerId"], "bob");

    let hello = json!({"userId": "alice", "roomId": "r1", "text": "hello"});
    send(&mut alice, "client", "sendMessage", hello).await;
    let received = next(&mut bob_out);
    assert_eq!(received["messageName"], "receivedMessage");
    assert_eq!(received["payload"]["text"], "hello");
    assert!(alice_out.try_recv().is_none(), "the sender is skipped");

    let notice = json!({"userId": "admin", "roomId": "r1", "text": "notice"});
    send(&mut portal, "portal", "sendMessage", notice).await;
    assert_eq!(next(&mut alice_out)["payload"]["text"], "notice");
    assert_eq!(next(&mut bob_out)["payload"]["text"], "notice");

    let stats = json!({"fromRole": "portal", "messageName": "requestRoomStats",
                       "payload": {"roomId": "r1"}, "id": 7});
    portal.handle_text(&stats.to_string()).await.unwrap();
    let reply = next(&mut portal_out);
    assert_eq!(reply["messageName"], "receivedRoomStats");
    assert_eq!(reply["replyTo"], 7);
    assert_eq!(reply["payload"]["members"], json!(["alice", "bob"]));
    assert!(portal_out.try_recv().is_none());
}

#[tokio::test]
async fn per_sender_handlers_split_one_message() {
    let server = ChatServer::default();
    let posted_by_portal = Arc::clone(&server.posted_by_portal);
    let bindings = server
        .bindings()
        .unwrap()
        .open_roles(["client", "portal"])
        .build()
        .unwrap();
    let (mut client, _client_out) = bindings.session(Admission::role("client"));
    let (mut portal, _portal_out) = bindings.session(Admission::role("portal"));
    let room = json!({"userId": "a", "roomId": "r"});
    send(&mut client, "client", "createRoom", room).await;
    let post = json!({"userId": "a", "roomId": "r", "text": "x"});
    send(&mut client, "client", "sendMessage", post.clone()).await;
    send(&mut portal, "portal", "sendMessage", post.clone()).await;
    send(&mut portal, "portal", "sendMessage", post).await;
    assert_eq!(
        posted_by_portal.load(Ordering::SeqCst),
        2,
        "only the portal's posts"
    );
    let refused = client
        .handle_text(&frame("client", "requestRoomStats", json!({"roomId": "r"})))
        .await
        .unwrap_err();
    assert_eq!(refused.code, openws::ErrorCode::ForbiddenRole);
}
