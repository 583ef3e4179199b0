// Two roles of one network with the same name.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, Room};
use openws::HandlerError;

#[openws::role(name = "client", messages(stats: Room))]
struct Impostor;

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Client, Impostor])]
impl Server {
    #[handler]
    async fn create_room(&self, room: Room) -> Result<(), HandlerError> {
        let _ = room;
        Ok(())
    }
}

fn main() {}
