//! The chat's rooms on the hub: who may speak as whom, and rooms that come and go.

use std::time::Duration;

use serde_json::json;

use crate::Server;
use crate::apps;
use crate::client::{Client, TIMEOUT};

/// A client speaks only as the user it claimed, only in rooms it is in, and
/// cannot claim a user another connection holds (the attack run's mallory).
pub async fn chat_users_cannot_impersonate_each_other<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut alice = Client::connect(server.addr, "/chat").await;
    let mut bob = Client::connect(server.addr, "/chat").await;
    let mut mallory = Client::connect(server.addr, "/chat").await;
    enter(&mut alice, "createRoom", "alice", "r1").await;
    enter(&mut bob, "joinRoom", "bob", "r1").await;
    alice.expect_message("joinedRoom").await;

    let as_bob = json!({"userId": "bob", "roomId": "r1", "text": "x"});
    mallory.message("client", "sendMessage", as_bob).await;
    assert_refused(&mut mallory, "connected elsewhere").await;
    let as_alice = json!({"userId": "alice", "roomId": "r1"});
    mallory.message("client", "joinRoom", as_alice).await;
    assert_refused(&mut mallory, "connected elsewhere").await;

    enter(&mut mallory, "createRoom", "mallory", "m").await;
    let outside = json!({"userId": "mallory", "roomId": "r1", "text": "x"});
    mallory.message("client", "sendMessage", outside).await;
    assert_refused(&mut mallory, "not in room").await;
    let other_name = json!({"userId": "bob", "roomId": "m", "text": "x"});
    mallory.message("client", "sendMessage", other_name).await;
    assert_refused(&mut mallory, "speaks as `mallory`").await;

    alice.expect_silence().await;
    bob.expect_silence().await;
    let hello = json!({"userId": "alice", "roomId": "r1", "text": "hello"});
    alice.message("client", "sendMessage", hello).await;
    assert_eq!(
        bob.expect_message("receivedMessage").await["senderId"],
        "alice"
    );
}

/// When the last member leaves, the room is gone and its id free again, and
/// so is the departed user's id.
pub async fn chat_rooms_and_user_ids_are_freed_on_leave<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut alice = Client::connect(server.addr, "/chat").await;
    enter(&mut alice, "createRoom", "alice", "r").await;
    alice.close().await;

    let mut again = Client::connect(server.addr, "/chat").await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        again
            .message(
                "client",
                "createRoom",
                json!({"userId": "alice", "roomId": "r"}),
            )
            .await;
        let frame = again.recv().await;
        if frame["messageName"] == "joinedRoom" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "room and user never freed: {frame}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `kind` (`createRoom` or `joinRoom`) as `user` into `room`; expects the `joinedRoom` answer.
async fn enter(client: &mut Client, kind: &str, user: &str, room: &str) {
    client
        .message("client", kind, json!({"userId": user, "roomId": room}))
        .await;
    assert_eq!(
        client.expect_message("joinedRoom").await,
        json!({"roomId": room, "joinerId": user})
    );
}

async fn assert_refused(client: &mut Client, why: &str) {
    let error = client.expect_error("handler_error").await;
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "expected `{why}` in {error}");
}
