// Sending a payload of another message through a generated peer method.
#[path = "shared/chat.rs"]
mod chat;

use chat::{Client, ClientPeer, Text};
use openws::HandlerError;
use openws::typed::TypedPeer;

struct Server;

#[openws::host(name = "server", network = "chat", roles = [Client])]
impl Server {
    #[handler]
    async fn say(&self, client: TypedPeer<Client>, text: Text) -> Result<(), HandlerError> {
        client.joined(&text).await?;
        Ok(())
    }
}

fn main() {}
