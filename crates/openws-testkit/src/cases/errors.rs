//! Bad input: every error code of `docs/protocol.md`, each followed by a working message.

use std::sync::Arc;

use serde_json::json;

use crate::Server;
use crate::apps::{self, RoleRule, frame};
use crate::client::Client;

/// Sends `bad`, expects error `code`, then proves the connection still works.
async fn refused_then_usable(client: &mut Client, bad: &str, code: &str) {
    client.send_text(bad).await;
    client.expect_error(code).await;
    client
        .message("user", "echo", json!({"text": "after"}))
        .await;
    assert_eq!(
        client.expect_message("echoed").await["text"],
        "after",
        "after {bad}"
    );
}

/// Every refusal is an error frame with its code; none closes the connection.
pub async fn every_error_code_leaves_connection_usable<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::default())]).await;
    let mut client = Client::connect(server.addr, "/p").await;
    let echo = |payload: serde_json::Value| frame("user", "echo", payload).to_string();
    let cases = [
        ("not json at all".to_owned(), "bad_frame"),
        ("[1, 2, 3]".to_owned(), "bad_frame"),
        ("\"a string\"".to_owned(), "bad_frame"),
        (
            json!({"messageName": "echo", "payload": {}}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": "user", "payload": {}}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": "user", "messageName": "echo"}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": 7, "messageName": "echo", "payload": {}}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": "user", "messageName": ["echo"], "payload": {}}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": "user", "messageName": "echo", "payload": 5}).to_string(),
            "bad_frame",
        ),
        (
            json!({"fromRole": "user", "messageName": "echo", "payload": "{not json"}).to_string(),
            "bad_frame",
        ),
        (
            frame("nobody", "echo", json!({"text": "x"})).to_string(),
            "unknown_role",
        ),
        (
            frame("admin", "echo", json!({"text": "x"})).to_string(),
            "role_mismatch",
        ),
        (
            frame("user", "noSuchMessage", json!({})).to_string(),
            "unknown_message",
        ),
        (
            frame("user", "adminOnly", json!({})).to_string(),
            "forbidden_role",
        ),
        (echo(json!({"text": 42})), "invalid_payload"),
        (echo(json!({})), "invalid_payload"),
        (
            frame("user", "unbound", json!({})).to_string(),
            "not_implemented",
        ),
        (
            frame("user", "fail", json!({})).to_string(),
            "handler_error",
        ),
        (
            frame("user", "boom", json!({})).to_string(),
            "internal_error",
        ),
    ];
    for (bad, code) in &cases {
        refused_then_usable(&mut client, bad, code).await;
    }
    client.send_binary(b"{}".to_vec()).await;
    client.expect_error("bad_frame").await;
    // A payload sent as a JSON-encoded string (older clients) is accepted.
    client
        .send(json!({"fromRole": "user", "messageName": "echo", "payload": "{\"text\":\"old\"}"}))
        .await;
    assert_eq!(client.expect_message("echoed").await["text"], "old");
}

/// `invalid_payload` says what is wrong and where; error frames name the message.
pub async fn invalid_payload_details<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::default())]).await;
    let mut client = Client::connect(server.addr, "/p").await;
    client.message("user", "echo", json!({"text": 42})).await;
    let error = client.expect_error("invalid_payload").await;
    assert_eq!(error["messageName"], "echo");
    assert_eq!(error["details"][0]["path"], "/text");
}

/// Only roles in a message's `from` list may send it.
pub async fn from_list_is_enforced<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut client = Client::connect(server.addr, "/chat").await;
    client
        .message("client", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    let error = client.expect_error("forbidden_role").await;
    assert_eq!(error["messageName"], "requestRoomStats");

    let probe = S::start(vec![apps::probe("/p", RoleRule::Hook, Arc::default())]).await;
    let mut user = Client::connect(probe.addr, "/p").await;
    user.message("user", "adminOnly", json!({})).await;
    user.expect_error("forbidden_role").await;
    let path = format!("/p?role=admin&key={}", apps::ADMIN_KEY);
    let mut admin = Client::connect(probe.addr, &path).await;
    admin.message("admin", "adminOnly", json!({})).await;
    admin.expect_message("echoed").await;
}

/// A peer handle refuses payloads the receiving role's schema rejects, and
/// messages the role does not accept; nothing invalid reaches the wire.
pub async fn outbound_payload_is_validated<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::default())]).await;
    let mut client = Client::connect(server.addr, "/p").await;
    client.message("user", "badReply", json!({})).await;
    let error = client.expect_error("handler_error").await;
    let report: serde_json::Value =
        serde_json::from_str(error["message"].as_str().unwrap()).expect("report");
    assert!(
        report["wrongType"].as_str().unwrap().contains("schema"),
        "{report}"
    );
    assert!(
        report["unknown"].as_str().unwrap().contains("nope"),
        "{report}"
    );
    client.expect_silence().await;
}

/// An `id` comes back as `replyTo`, on replies and on errors alike.
pub async fn replies_carry_request_id<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::default())]).await;
    let mut client = Client::connect(server.addr, "/p").await;
    let mut request = frame("user", "echo", json!({"text": "q"}));
    request["id"] = json!("q-1");
    client.send(request).await;
    let reply = client.recv().await;
    assert_eq!(reply["replyTo"], "q-1");
    assert_eq!(reply["fromRole"], "server");
    let mut failing = frame("user", "fail", json!({}));
    failing["id"] = json!(42);
    client.send(failing).await;
    let error = client.recv().await;
    assert_eq!(error["replyTo"], 42);
    assert_eq!(error["error"]["code"], "handler_error");
    client
        .message("user", "echo", json!({"text": "no id"}))
        .await;
    assert!(client.recv().await.get("replyTo").is_none());
}

/// A panicking handler costs its caller one `internal_error`; the
/// connection and the server go on.
pub async fn handler_panic_is_isolated<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::default())]).await;
    let mut first = Client::connect(server.addr, "/p").await;
    let mut second = Client::connect(server.addr, "/p").await;
    for _ in 0..3 {
        first.message("user", "boom", json!({})).await;
        first.expect_error("internal_error").await;
    }
    first
        .message("user", "echo", json!({"text": "alive"}))
        .await;
    first.expect_message("echoed").await;
    second
        .message("user", "echo", json!({"text": "alive too"}))
        .await;
    second.expect_message("echoed").await;
    let mut third = Client::connect(server.addr, "/p").await;
    third.message("user", "echo", json!({"text": "new"})).await;
    third.expect_message("echoed").await;
}

/// An `id` the payload parser would refuse (a number out of range, a huge
/// number, a lone surrogate) or one over the length cap is a `bad_frame`,
/// answered without `replyTo`; the connection stays usable.
pub async fn unusable_ids_are_refused<S: Server>() {
    // The chat's frame limit (64 KiB) lets a 50,000-digit id through to the parser.
    let server = S::start(vec![apps::chat()]).await;
    let mut client = Client::connect(server.addr, "/chat").await;
    let huge_number = "9".repeat(50_000);
    let long_string = format!("\"{}\"", "i".repeat(200));
    let with_id = |id: &str| {
        format!(
            r#"{{"fromRole":"client","messageName":"createRoom","payload":{{"userId":"u","roomId":"ids"}},"id":{id}}}"#
        )
    };
    for id in [
        "1e400",
        "-1e400",
        huge_number.as_str(),
        r#""\ud800""#,
        r#""a\udc00b""#,
        long_string.as_str(),
    ] {
        client.send_text(&with_id(id)).await;
        let frame = client.recv().await;
        assert_eq!(frame["error"]["code"], "bad_frame", "id {id:.40}");
        assert!(frame.get("replyTo").is_none(), "{frame}");
    }
    // An id just under the cap still comes back (here on an error frame).
    let id = "i".repeat(120);
    let mut request = frame("client", "noSuchMessage", json!({}));
    request["id"] = json!(id);
    client.send(request).await;
    let reply = client.recv().await;
    assert_eq!(reply["error"]["code"], "unknown_message", "{reply}");
    assert_eq!(reply["replyTo"], json!(id));
}
