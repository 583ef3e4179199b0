// A handler parameter (not the payload) whose type is not an extractor.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, Room};
use openws::HandlerError;

struct UserName(String);

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Client])]
impl Server {
    #[handler]
    async fn create_room(&self, user: UserName, room: Room) -> Result<(), HandlerError> {
        let _ = (user.0, room);
        Ok(())
    }
}

fn main() {}
