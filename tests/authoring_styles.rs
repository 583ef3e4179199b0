//! Every authoring style of the chat network declares the same network.

#[allow(dead_code)]
#[path = "../examples/chat/mod.rs"]
mod chat;

use chat::Style;
use openws::Document;

#[test]
fn every_style_declares_the_same_network() {
    let reference = chat::network(Style::Fluent).to_document().to_value();
    for style in Style::ALL {
        let document = chat::network(style).to_document().to_value();
        assert_eq!(document, reference, "style `{}` differs", style.name());
    }
}

#[test]
fn the_committed_document_is_what_the_styles_export() {
    let committed = Document::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/chat/chat.openws.json"
    ))
    .expect("chat.openws.json is a valid OpenWS document");
    assert_eq!(committed, chat::network(Style::Trait).to_document());
}

#[test]
fn every_style_binds_every_host_message() {
    for style in Style::ALL {
        chat::bindings_in(style, "token").unwrap_or_else(|e| panic!("{}: {e}", style.name()));
    }
}
