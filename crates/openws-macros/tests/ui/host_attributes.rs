// Malformed `#[openws::host]` and `#[handler]` attributes.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, Room};
use openws::HandlerError;
use openws::typed::TypedPeer;

struct NoName;
#[openws::host(network = "chat", roles = [Client])]
impl NoName {
    #[handler]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }
}

struct UnknownKey;
#[openws::host(name = "server", network = "chat", roles = [Client], rolez = [chat::Portal])]
impl UnknownKey {
    #[handler]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }
}

struct BadHandler;
#[openws::host(name = "server", network = "chat", roles = [Client])]
impl BadHandler {
    #[handler(form = [Client])]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }

    #[handler]
    fn not_async(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }

    #[handler]
    async fn no_payload(&self) -> Result<(), HandlerError> {
        Ok(())
    }
}

struct NotARole;
#[openws::host(name = "server", network = "chat", roles = [Client])]
impl NotARole {
    #[handler(from = [chat::Portal])]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }
}

struct TwoHandlersOneSender;
#[openws::host(name = "server", network = "chat", roles = [Client, chat::Portal])]
impl TwoHandlersOneSender {
    #[handler(from = [Client, chat::Portal])]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }

    #[handler(name = "createRoom")]
    async fn create_room_for_client(
        &self,
        client: TypedPeer<Client>,
        room: Room,
    ) -> Result<(), HandlerError> {
        let _ = (client, room);
        Ok(())
    }
}

struct PeerWithSeveralSenders;
#[openws::host(name = "server", network = "chat", roles = [Client, chat::Portal])]
impl PeerWithSeveralSenders {
    #[handler(from = [Client, chat::Portal])]
    async fn create_room(&self, client: TypedPeer<Client>, room: Room) -> Result<(), HandlerError> {
        let _ = (client, room);
        Ok(())
    }
}

struct PayloadNotLast;
#[openws::host(name = "server", network = "chat", roles = [Client])]
impl PayloadNotLast {
    #[handler]
    async fn create_room(&self, room: Room, ctx: openws::Ctx<Self>) -> Result<(), HandlerError> {
        let _ = (room, ctx);
        Ok(())
    }
}

struct TwoPayloadMarks;
#[openws::host(name = "server", network = "chat", roles = [Client])]
impl TwoPayloadMarks {
    #[handler]
    async fn create_room(&self, #[payload] room: Room, #[payload] other: Room) -> Result<(), HandlerError> {
        let _ = (room, other);
        Ok(())
    }
}

struct Standalone;
impl Standalone {
    #[openws::handler]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }
}

fn main() {}
