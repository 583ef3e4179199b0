//! The chat network, spec-first: an OpenWS JSON document is the source, and
//! handlers are bound to its messages by name. No Rust type describes the network.

use openws::{BindError, BindingsBuilder, Document, Network};

use super::{Chat, fluent};

/// The chat network's OpenWS document (`cargo run --example export_spec` prints it).
const CHAT_DOCUMENT: &str = include_str!("chat.openws.json");

/// The network, from the document; this server implements its `server` role.
pub(crate) fn network() -> Network {
    let document = Document::from_json_str(CHAT_DOCUMENT).expect("chat.openws.json is valid");
    Network::from_document_as(&document, "chat", "server")
        .expect("the document has the chat network")
}

/// Binds the document's messages by name, with the JSON handlers.
pub(crate) fn bind(chat: Chat) -> Result<BindingsBuilder<Chat>, BindError> {
    fluent::bind_json(network(), chat)
}
