//! Clients written for the older JS runtime of OpenWS: they send each payload
//! as a string holding JSON and `JSON.parse` the payloads they receive.

use serde_json::{Value, json};

use crate::Server;
use crate::apps;
use crate::client::Client;

/// A connection whose first frame carried a string payload gets string
/// payloads back (replies and room broadcasts alike); one that sent objects
/// keeps getting objects from the same broadcast.
pub async fn string_payloads_are_answered_with_strings<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut old = Client::connect(server.addr, "/chat").await;
    let mut new = Client::connect(server.addr, "/chat").await;

    old.message(
        "client",
        "createRoom",
        stringified(json!({"userId": "old", "roomId": "r"})),
    )
    .await;
    let joined = old.expect_message("joinedRoom").await;
    assert_eq!(parsed(&joined), json!({"roomId": "r", "joinerId": "old"}));

    new.message(
        "client",
        "joinRoom",
        json!({"userId": "new", "roomId": "r"}),
    )
    .await;
    assert_eq!(
        new.expect_message("joinedRoom").await,
        json!({"roomId": "r", "joinerId": "new"})
    );
    assert_eq!(
        parsed(&old.expect_message("joinedRoom").await),
        json!({"roomId": "r", "joinerId": "new"})
    );

    let hello = json!({"userId": "new", "roomId": "r", "text": "hi \"old\""});
    new.message("client", "sendMessage", hello).await;
    assert_eq!(
        parsed(&old.expect_message("receivedMessage").await),
        json!({"roomId": "r", "senderId": "new", "text": "hi \"old\""})
    );

    let back = json!({"userId": "old", "roomId": "r", "text": "hello"});
    old.message("client", "sendMessage", stringified(back))
        .await;
    assert_eq!(
        new.expect_message("receivedMessage").await,
        json!({"roomId": "r", "senderId": "old", "text": "hello"})
    );
}

/// `payload` as the old JS runtime writes it: `JSON.stringify(payload)`.
fn stringified(payload: Value) -> Value {
    Value::String(payload.to_string())
}

/// A payload received as a string, `JSON.parse`d; panics if it is not a string.
fn parsed(payload: &Value) -> Value {
    let text = payload
        .as_str()
        .unwrap_or_else(|| panic!("expected a string payload, got {payload}"));
    serde_json::from_str(text).expect("the string holds JSON")
}
