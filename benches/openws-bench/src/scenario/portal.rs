//! The chat's admin portal, as the soak uses it: asking the server who is in
//! a room, which shows when a connection has been let go of.

use std::net::SocketAddr;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

use crate::Error;
use crate::client::{WAIT, Ws, connect, envelope_from};
use crate::servers::openws::PORTAL_TOKEN;

/// A portal connection to `/chat` (it authenticates with the servers' token).
/// A task reads it all along, so the portal answers the server's pings
/// even while no question is out.
pub(crate) struct Portal {
    sink: SplitSink<Ws, Message>,
    answers: mpsc::UnboundedReceiver<Answer>,
    // Aborted when dropped.
    _reader: JoinSet<()>,
}

/// The server's answer to `requestRoomStats`.
enum Answer {
    /// The room's members.
    Members(Vec<String>),
    /// No such room.
    NoRoom,
    /// Refused for another reason.
    Refused(String),
}

/// The frames that answer `requestRoomStats`.
#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "messageName", default)]
    message_name: Option<String>,
    #[serde(default)]
    payload: Option<RoomStats>,
    #[serde(default)]
    error: Option<Refusal>,
}

#[derive(Deserialize)]
struct RoomStats {
    members: Vec<String>,
}

#[derive(Deserialize)]
struct Refusal {
    message: String,
}

impl Portal {
    /// Connects as the portal.
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self, Error> {
        let ws = connect(addr, &format!("/chat?token={PORTAL_TOKEN}")).await?;
        let (sink, stream) = ws.split();
        let (answered, answers) = mpsc::unbounded_channel();
        let mut reader = JoinSet::new();
        reader.spawn(read(stream, answered));
        Ok(Self {
            sink,
            answers,
            _reader: reader,
        })
    }

    /// The users in `room`, in the order they joined; `None` when the server
    /// holds no such room (its last member has left).
    pub(crate) async fn members(&mut self, room: &str) -> Result<Option<Vec<String>>, Error> {
        let request = serde_json::json!({ "roomId": room });
        let frame = envelope_from("portal", "requestRoomStats", &request);
        self.sink.send(Message::text(frame)).await?;
        let answer = tokio::time::timeout(WAIT, self.answers.recv())
            .await
            .map_err(|_| "the room stats did not come in time")?
            .ok_or("the server closed the portal's connection")?;
        match answer {
            Answer::Members(members) => Ok(Some(members)),
            Answer::NoRoom => Ok(None),
            Answer::Refused(why) => Err(format!("room stats refused: {why}").into()),
        }
    }
}

/// Reads the portal's connection until it ends, passing on each answer.
async fn read(mut stream: SplitStream<Ws>, answered: mpsc::UnboundedSender<Answer>) {
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let answer = match serde_json::from_str(&text) {
            Ok(Frame {
                error: Some(refusal),
                ..
            }) if refusal.message.contains("does not exist") => Answer::NoRoom,
            Ok(Frame {
                error: Some(refusal),
                ..
            }) => Answer::Refused(refusal.message),
            Ok(Frame {
                message_name: Some(name),
                payload: Some(stats),
                ..
            }) if name == "receivedRoomStats" => Answer::Members(stats.members),
            Ok(_) => continue,
            Err(error) => Answer::Refused(format!("unreadable answer: {error}")),
        };
        if answered.send(answer).is_err() {
            return;
        }
    }
}
