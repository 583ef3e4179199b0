// A handler whose typed peer is a role its `from` does not list.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, Portal, PortalPeer, Room};
use openws::HandlerError;
use openws::typed::TypedPeer;

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Client, Portal])]
impl Server {
    #[handler(from = [Client])]
    async fn create_room(&self, peer: TypedPeer<Portal>, room: Room) -> Result<(), HandlerError> {
        peer.stats(&room).await?;
        Ok(())
    }
}

fn main() {}
