// A closure bound with `on` whose first argument is not an extractor.
use openws::{Bindings, HandlerError, Message, Network, Role};
use serde_json::Value;

fn main() {
    let network = Network::builder("echo")
        .role(Role::host("server").message(Message::new("ping")))
        .role(Role::new("client"))
        .build()
        .unwrap();
    let _ = Bindings::builder(network, ()).on("ping", |name: String, payload: Value| async move {
        let _ = (name, payload);
        Ok::<_, HandlerError>(())
    });
}
