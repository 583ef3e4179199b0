// `handle` binds a handler for the role of its typed peer: one without a typed peer is refused.
use openws::typed::{Anyone, MessageType, RoleType};
use openws::{Bindings, Ctx, HandlerError, Network, Role};

struct Server;
struct Client;
struct Ping;

impl RoleType for Server {
    const NAME: &'static str = "server";
    fn declare() -> Role {
        Role::host(Self::NAME).message(Ping::declare())
    }
}
impl RoleType for Client {
    const NAME: &'static str = "client";
    fn declare() -> Role {
        Role::new(Self::NAME)
    }
}
impl MessageType for Ping {
    const NAME: &'static str = "ping";
    type Payload = u32;
    type Receiver = Server;
    type Senders = Anyone;
}

async fn ping(_: Ctx<()>, n: u32) -> Result<(), HandlerError> {
    let _ = n;
    Ok(())
}

fn main() {
    let network = Network::builder("echo")
        .role(Server::declare())
        .role(Client::declare())
        .build()
        .unwrap();
    let _ = Bindings::builder(network, ()).handle(Ping, ping);
}
