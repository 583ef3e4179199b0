// Calling a peer method the peer's role does not receive.
#[path = "shared/chat.rs"]
mod chat;

use chat::{ClientPeer, Portal, Room};
use openws::HandlerError;
use openws::typed::TypedPeer;

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Portal])]
impl Server {
    #[handler]
    async fn watch(&self, portal: TypedPeer<Portal>, room: Room) -> Result<(), HandlerError> {
        portal.joined(&room).await?;
        Ok(())
    }
}

fn main() {}
