//! The limit: the chat written by hand on axum with serde_json and no
//! framework. Envelopes and payloads are read with serde (no schema
//! validation, no role table beyond "senders are clients"), each frame is
//! encoded once and its bytes shared by every receiver. A framework can at
//! best equal it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::{Broadcast, announce, listen, tokio_runtime};
use crate::Error;
use crate::chat::{JoinedRoom, ReceivedMessage, RoomRequest, SendMessage};

/// Outbound frames queued per connection, as openws-rs does by default.
const QUEUE: usize = 1024;
/// The largest frame read, as openws-rs does by default.
const MAX_FRAME: usize = 64 * 1024;

/// Rooms and users, shared by all connections.
#[derive(Debug, Default)]
pub(crate) struct Limit {
    rooms: Mutex<HashMap<String, Vec<String>>>,
    users: Mutex<HashMap<String, Member>>,
    next_connection: AtomicU64,
}

#[derive(Debug, Clone)]
struct Member {
    connection: u64,
    frames: mpsc::Sender<Utf8Bytes>,
}

/// One connection's sending side and whether it is on the `/bench` route.
#[derive(Debug)]
pub(crate) struct Connection {
    id: u64,
    frames: mpsc::Sender<Utf8Bytes>,
    bench: bool,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "fromRole", borrow)]
    from_role: Cow<'a, str>,
    #[serde(rename = "messageName", borrow)]
    message_name: Cow<'a, str>,
    #[serde(borrow)]
    payload: &'a RawValue,
}

#[derive(Serialize)]
struct Frame<'a, T> {
    #[serde(rename = "fromRole")]
    from_role: &'static str,
    #[serde(rename = "messageName")]
    message_name: &'a str,
    payload: &'a T,
}

/// A refused frame: the error code and a sentence.
type Refusal = (&'static str, String);

impl Limit {
    /// A new connection and the frames to write to it.
    pub(crate) fn connect(&self, bench: bool) -> (Connection, mpsc::Receiver<Utf8Bytes>) {
        let (frames, outbox) = mpsc::channel(QUEUE);
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        (Connection { id, frames, bench }, outbox)
    }

    /// Handles one text frame; a refused frame is answered with an error frame.
    pub(crate) async fn handle_text(&self, connection: &Connection, text: &str) {
        if let Err((code, message)) = self.dispatch(connection, text).await {
            let frame = serde_json::json!({"fromRole": "server", "error": {"code": code, "message": message}});
            let _ = connection.frames.send(frame.to_string().into()).await;
        }
    }

    async fn dispatch(&self, connection: &Connection, text: &str) -> Result<(), Refusal> {
        let envelope: Envelope<'_> =
            serde_json::from_str(text).map_err(|e| ("bad_frame", e.to_string()))?;
        if envelope.from_role != "client" {
            return Err(("role_refused", "only clients are served".to_owned()));
        }
        let payload = envelope.payload.get();
        match &*envelope.message_name {
            "createRoom" => self.create_room(connection, read(payload)?).await,
            "joinRoom" => self.join_room(connection, read(payload)?).await,
            "sendMessage" => self.send_message(read(payload)?).await,
            "broadcast" if connection.bench => self.broadcast(read(payload)?).await,
            other => Err(("unknown_message", format!("no message `{other}`"))),
        }
    }

    async fn create_room(
        &self,
        connection: &Connection,
        request: RoomRequest,
    ) -> Result<(), Refusal> {
        {
            let mut rooms = self.rooms.lock().unwrap();
            if rooms.contains_key(&request.room_id) {
                return Err((
                    "handler_error",
                    format!("room `{}` already exists", request.room_id),
                ));
            }
            rooms.insert(request.room_id.clone(), vec![request.user_id.clone()]);
        }
        self.remember(&request.user_id, connection);
        let frame = encode("joinedRoom", &joined(request));
        let _ = connection.frames.send(frame).await;
        Ok(())
    }

    async fn join_room(
        &self,
        connection: &Connection,
        request: RoomRequest,
    ) -> Result<(), Refusal> {
        let receivers = {
            let mut rooms = self.rooms.lock().unwrap();
            let members = rooms
                .get_mut(&request.room_id)
                .ok_or_else(|| no_room(&request.room_id))?;
            if !members.contains(&request.user_id) {
                members.push(request.user_id.clone());
            }
            self.remember(&request.user_id, connection);
            self.receivers(members.iter().map(String::as_str))
        };
        deliver(receivers, encode("joinedRoom", &joined(request))).await;
        Ok(())
    }

    async fn send_message(&self, message: SendMessage) -> Result<(), Refusal> {
        let receivers = {
            let rooms = self.rooms.lock().unwrap();
            let members = rooms
                .get(&message.room_id)
                .ok_or_else(|| no_room(&message.room_id))?;
            let others = members.iter().filter(|m| **m != message.user_id);
            self.receivers(others.map(String::as_str))
        };
        let received = ReceivedMessage {
            room_id: message.room_id,
            sender_id: message.user_id,
            text: message.text,
        };
        deliver(receivers, encode("receivedMessage", &received)).await;
        Ok(())
    }

    async fn broadcast(&self, message: Broadcast) -> Result<(), Refusal> {
        let receivers: Vec<_> = {
            let users = self.users.lock().unwrap();
            let others = users.iter().filter(|(user, _)| **user != message.user_id);
            others.map(|(_, member)| member.frames.clone()).collect()
        };
        let received = message.received();
        deliver(receivers, encode("receivedMessage", &received)).await;
        Ok(())
    }

    /// The queues of `members` that are connected.
    fn receivers<'a>(
        &self,
        members: impl Iterator<Item = &'a str>,
    ) -> Vec<mpsc::Sender<Utf8Bytes>> {
        let users = self.users.lock().unwrap();
        members
            .filter_map(|member| users.get(member))
            .map(|member| member.frames.clone())
            .collect()
    }

    fn remember(&self, user_id: &str, connection: &Connection) {
        let member = Member {
            connection: connection.id,
            frames: connection.frames.clone(),
        };
        self.users
            .lock()
            .unwrap()
            .insert(user_id.to_owned(), member);
    }

    /// Forgets the users of a closed connection and takes them out of their rooms.
    /// Takes one lock at a time: the other paths lock rooms before users.
    fn forget(&self, connection: u64) {
        let gone: Vec<String> = {
            let mut users = self.users.lock().unwrap();
            let gone = users
                .iter()
                .filter(|(_, member)| member.connection == connection)
                .map(|(user, _)| user.clone())
                .collect::<Vec<_>>();
            users.retain(|user, _| !gone.contains(user));
            gone
        };
        for members in self.rooms.lock().unwrap().values_mut() {
            members.retain(|member| !gone.contains(member));
        }
    }
}

/// Reads a payload: an object, or a string holding one (as older clients send it).
fn read<T: DeserializeOwned>(payload: &str) -> Result<T, Refusal> {
    let invalid = |e: serde_json::Error| ("invalid_payload", e.to_string());
    if payload.starts_with('"') {
        let inner: Cow<'_, str> = serde_json::from_str(payload).map_err(invalid)?;
        serde_json::from_str(&inner).map_err(invalid)
    } else {
        serde_json::from_str(payload).map_err(invalid)
    }
}

fn encode<T: Serialize>(message_name: &str, payload: &T) -> Utf8Bytes {
    let frame = Frame {
        from_role: "server",
        message_name,
        payload,
    };
    serde_json::to_string(&frame)
        .expect("frames always serialize")
        .into()
}

fn joined(request: RoomRequest) -> JoinedRoom {
    JoinedRoom {
        room_id: request.room_id,
        joiner_id: request.user_id,
    }
}

fn no_room(room_id: &str) -> Refusal {
    ("handler_error", format!("room `{room_id}` does not exist"))
}

/// Queues one encoded frame to every receiver; its bytes are shared, not copied.
async fn deliver(receivers: Vec<mpsc::Sender<Utf8Bytes>>, frame: Utf8Bytes) {
    for receiver in receivers {
        let _ = receiver.send(frame.clone()).await;
    }
}

/// Serves the limit chat on `addr`.
pub(crate) fn serve(addr: SocketAddr) -> Result<(), Error> {
    tokio_runtime()?.block_on(async {
        let limit = Arc::new(Limit::default());
        let app = Router::new()
            .route("/chat", get(|ws, state| upgrade(ws, state, false)))
            .route("/bench", get(|ws, state| upgrade(ws, state, true)))
            .with_state(limit);
        let listener = listen(addr)?;
        announce(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

async fn upgrade(ws: WebSocketUpgrade, State(limit): State<Arc<Limit>>, bench: bool) -> Response {
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| run(socket, limit, bench))
}

/// Reads frames one at a time while a writer drains the connection's queue.
async fn run(socket: WebSocket, limit: Arc<Limit>, bench: bool) {
    let (connection, mut outbox) = limit.connect(bench);
    let (mut sink, mut stream) = socket.split();
    let reader = async {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Text(text) => limit.handle_text(&connection, &text).await,
                Message::Close(_) => break,
                _ => {}
            }
        }
    };
    let writer = async {
        while let Some(frame) = outbox.recv().await {
            if sink.feed(Message::Text(frame)).await.is_err() {
                return;
            }
            while let Ok(frame) = outbox.try_recv() {
                if sink.feed(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = reader => {}
        () = writer => {}
    }
    limit.forget(connection.id);
}
