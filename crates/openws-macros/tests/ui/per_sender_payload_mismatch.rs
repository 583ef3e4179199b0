// One message handled per sender, with a different payload type per handler.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, Portal, Room, Text};
use openws::HandlerError;
use openws::typed::TypedPeer;

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Client, Portal])]
impl Server {
    #[handler(from = [Client])]
    async fn post(&self, text: Text) -> Result<(), HandlerError> {
        let _ = text;
        Ok(())
    }

    #[handler(name = "post")]
    async fn post_from_portal(
        &self,
        portal: TypedPeer<Portal>,
        room: Room,
    ) -> Result<(), HandlerError> {
        let _ = (portal, room);
        Ok(())
    }
}

fn main() {}
