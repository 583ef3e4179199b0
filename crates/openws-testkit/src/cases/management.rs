//! The management endpoints: list, push to and close live connections.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Server;
use crate::apps::{self, ADMIN_TOKEN};
use crate::client::{Client, TIMEOUT};
use crate::http_get::{self, Response};

const ENDPOINT: &str = "/openws/connections";

fn admin() -> [(&'static str, String); 1] {
    [("authorization", format!("Bearer {ADMIN_TOKEN}"))]
}

async fn call(
    server: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Response {
    let headers = admin();
    let headers = headers_of(&headers);
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    http_get::request_with(server, method, path, &headers, &body).await
}

fn headers_of<'h>(headers: &'h [(&'static str, String)]) -> Vec<(&'static str, &'h str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn json_body(response: &Response) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("JSON body: {}", response.body))
}

/// Without the bearer token (or with another one) every endpoint answers 401.
pub async fn management_needs_its_token<S: Server>() {
    let server = S::start(vec![apps::chat_managed()]).await;
    let anonymous = http_get::get(server.addr, ENDPOINT).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let wrong = [("authorization", "Bearer not-the-token")];
    let wrong =
        http_get::request_with(server.addr, "DELETE", &format!("{ENDPOINT}/x"), &wrong, "").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
}

/// The listing shows each connection; a push is validated against the
/// connection's role and delivered; a delete closes it with the given code.
pub async fn management_lists_pushes_and_closes<S: Server>() {
    let server = S::start(vec![apps::chat_managed()]).await;
    let mut alice = Client::connect(server.addr, "/chat").await;
    alice
        .message(
            "client",
            "createRoom",
            json!({"userId": "alice", "roomId": "r1"}),
        )
        .await;
    alice.expect_message("joinedRoom").await;

    let listing = call(server.addr, "GET", ENDPOINT, None).await;
    assert_eq!(listing.status, 200, "{}", listing.body);
    let listing = json_body(&listing);
    let connections = listing["connections"]
        .as_array()
        .expect("a connections array");
    assert_eq!(connections.len(), 1, "{listing}");
    let alice_info = &connections[0];
    assert_eq!(alice_info["network"], "chat");
    assert_eq!(alice_info["role"], "client");
    assert_eq!(alice_info["rooms"], json!(["r1"]));
    assert!(alice_info["framesIn"].as_u64() >= Some(1), "{alice_info}");
    assert!(alice_info["framesOut"].as_u64() >= Some(1), "{alice_info}");
    assert!(
        alice_info["connectedSince"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    let id = alice_info["id"].as_str().expect("an id").to_owned();
    let messages = format!("{ENDPOINT}/{id}/messages");

    let notice = json!({"roomId": "r1", "senderId": "ops", "text": "maintenance at six"});
    let pushed = call(
        server.addr,
        "POST",
        &messages,
        Some(json!({"messageName": "receivedMessage", "payload": notice})),
    )
    .await;
    assert_eq!(pushed.status, 202, "{}", pushed.body);
    assert_eq!(alice.expect_message("receivedMessage").await, notice);

    let invalid = call(
        server.addr,
        "POST",
        &messages,
        Some(json!({"messageName": "receivedMessage", "payload": {"roomId": "r1"}})),
    )
    .await;
    assert_eq!(invalid.status, 400, "{}", invalid.body);
    assert_eq!(json_body(&invalid)["error"]["code"], "invalid_payload");
    let unknown = call(
        server.addr,
        "POST",
        &messages,
        Some(json!({"messageName": "receivedRoomStats", "payload": {}})),
    )
    .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert_eq!(json_body(&unknown)["error"]["code"], "unknown_message");
    let admin_headers = admin();
    let garbage = http_get::request_with(
        server.addr,
        "POST",
        &messages,
        &headers_of(&admin_headers),
        "{not json",
    )
    .await;
    assert_eq!(garbage.status, 400, "{}", garbage.body);
    assert_eq!(json_body(&garbage)["error"]["code"], "bad_frame");
    alice.expect_silence().await;

    let nobody = format!("{ENDPOINT}/0000000000000000-1/messages");
    let nobody = call(
        server.addr,
        "POST",
        &nobody,
        Some(json!({"messageName": "receivedMessage", "payload": notice})),
    )
    .await;
    assert_eq!(nobody.status, 404, "{}", nobody.body);
    let garbled = call(
        server.addr,
        "DELETE",
        &format!("{ENDPOINT}/not-an-id"),
        None,
    )
    .await;
    assert_eq!(garbled.status, 400, "{}", garbled.body);

    let closed = call(
        server.addr,
        "DELETE",
        &format!("{ENDPOINT}/{id}?code=4000&reason=bye"),
        None,
    )
    .await;
    assert_eq!(closed.status, 202, "{}", closed.body);
    assert_eq!(
        alice.expect_close_frame().await,
        Some((4000, "bye".to_owned()))
    );

    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let listing = json_body(&call(server.addr, "GET", ENDPOINT, None).await);
        if listing["connections"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still listed: {listing}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
