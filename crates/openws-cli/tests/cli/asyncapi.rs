//! The AsyncAPI output passes the official parser, `@asyncapi/parser` from npm.

use crate::support::{
    ChatServer, chat_spec, code, copy_fixture, node, openws, scratch, stderr, stdout,
};

/// Parses `document` with `validate-asyncapi.mjs` and asserts zero errors.
fn assert_parses(dir: &std::path::Path, file: &str, document: &[u8]) {
    std::fs::write(dir.join(file), document).unwrap();
    let output = node(dir, &["validate-asyncapi.mjs", file]);
    assert_eq!(
        code(&output),
        0,
        "@asyncapi/parser refused {file}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("asyncapi: 0 errors"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_chat_spec_passes_the_official_asyncapi_parser() {
    let dir = scratch("asyncapi");
    copy_fixture("validate-asyncapi.mjs", &dir);

    let from_file = openws(&["asyncapi", chat_spec().to_str().unwrap()]);
    assert_eq!(code(&from_file), 0, "{}", stderr(&from_file));
    assert_parses(&dir, "chat.asyncapi.json", &from_file.stdout);

    // The served spec lists the endpoint, so servers and a channel address appear too.
    let server = ChatServer::start();
    let served = openws(&["asyncapi", "--yaml", &server.http()]);
    assert_eq!(code(&served), 0, "{}", stderr(&served));
    assert!(stdout(&served).contains("address: /chat"));
    assert_parses(&dir, "served.asyncapi.yaml", &served.stdout);
}
