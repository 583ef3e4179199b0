//! The seed's chat flow, across a creator, a joiner and the portal.

use serde_json::json;

use crate::apps::{self, PORTAL_TOKEN};
use crate::client::Client;
use crate::{RunningServer, Server};

/// The `Authorization` header that admits the portal.
pub(crate) fn portal_headers() -> [(&'static str, &'static str); 1] {
    static HEADER: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("Bearer {PORTAL_TOKEN}"));
    [("authorization", HEADER.as_str())]
}

/// Create, join, talk, ask for stats: every member hears what it should, and nothing else.
pub async fn chat_flow_across_three_connections<S: Server>() {
    chat_flow(S::start(vec![apps::chat()]).await).await;
}

/// The same chat flow against the chat network written in each authoring style.
pub async fn chat_flow_in_every_style<S: Server>() {
    for style in apps::chat_styles() {
        tracing::info!(?style, "chat flow");
        chat_flow(S::start(vec![apps::chat_in(style)]).await).await;
    }
}

async fn chat_flow(server: RunningServer) {
    let mut alice = Client::connect(server.addr, "/chat").await;
    let mut bob = Client::connect(server.addr, "/chat").await;
    let mut portal = Client::try_connect(server.addr, "/chat", &portal_headers())
        .await
        .expect("portal admitted");

    alice
        .message(
            "client",
            "createRoom",
            json!({"userId": "alice", "roomId": "r1"}),
        )
        .await;
    assert_eq!(
        alice.expect_message("joinedRoom").await,
        json!({"roomId": "r1", "joinerId": "alice"})
    );

    bob.message(
        "client",
        "joinRoom",
        json!({"userId": "bob", "roomId": "r1"}),
    )
    .await;
    let joined = json!({"roomId": "r1", "joinerId": "bob"});
    assert_eq!(alice.expect_message("joinedRoom").await, joined);
    assert_eq!(bob.expect_message("joinedRoom").await, joined);

    alice
        .message(
            "client",
            "sendMessage",
            json!({"userId": "alice", "roomId": "r1", "text": "hi bob"}),
        )
        .await;
    assert_eq!(
        bob.expect_message("receivedMessage").await,
        json!({"roomId": "r1", "senderId": "alice", "text": "hi bob"})
    );
    alice.expect_silence().await;

    portal
        .message("portal", "requestRoomStats", json!({"roomId": "r1"}))
        .await;
    assert_eq!(
        portal.expect_message("receivedRoomStats").await,
        json!({"roomId": "r1", "members": ["alice", "bob"]})
    );

    portal
        .message(
            "portal",
            "sendMessage",
            json!({"userId": "admin", "roomId": "r1", "text": "notice"}),
        )
        .await;
    for member in [&mut alice, &mut bob] {
        assert_eq!(
            member.expect_message("receivedMessage").await["senderId"],
            "admin"
        );
    }
    portal.expect_silence().await;

    bob.message(
        "client",
        "joinRoom",
        json!({"userId": "bob", "roomId": "nowhere"}),
    )
    .await;
    let error = bob.expect_error("handler_error").await;
    assert_eq!(error["messageName"], "joinRoom");
    assert!(
        error["message"].as_str().unwrap().contains("nowhere"),
        "{error}"
    );
}

/// A handle stored by one connection's handler reaches that peer from
/// another connection's handler, and a departed peer is simply skipped.
pub async fn peer_handles_work_from_other_connections<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut alice = Client::connect(server.addr, "/chat").await;
    let mut bob = Client::connect(server.addr, "/chat").await;
    let mut carol = Client::connect(server.addr, "/chat").await;
    alice
        .message(
            "client",
            "createRoom",
            json!({"userId": "alice", "roomId": "r"}),
        )
        .await;
    alice.expect_message("joinedRoom").await;
    for (name, client) in [("bob", &mut bob), ("carol", &mut carol)] {
        client
            .message("client", "joinRoom", json!({"userId": name, "roomId": "r"}))
            .await;
        client.expect_message("joinedRoom").await;
    }
    alice.expect_message("joinedRoom").await;
    alice.expect_message("joinedRoom").await;
    bob.expect_message("joinedRoom").await;

    carol.close().await;
    bob.message(
        "client",
        "sendMessage",
        json!({"userId": "bob", "roomId": "r", "text": "still here?"}),
    )
    .await;
    assert_eq!(
        alice.expect_message("receivedMessage").await["text"],
        "still here?"
    );
    bob.expect_silence().await;
}
