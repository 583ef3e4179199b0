//! A browser cannot set headers on a WebSocket: the chat's portal also
//! authenticates with a `token` query parameter or a `bearer.<token>` subprotocol.

use serde_json::json;

use crate::Server;
use crate::apps::{self, PORTAL_TOKEN};
use crate::client::Client;

/// Proves a connection holds `portal`: only a portal may ask for room stats.
async fn assert_portal(mut client: Client) {
    client
        .message("portal", "requestRoomStats", json!({"roomId": "none"}))
        .await;
    let error = client.expect_error("handler_error").await;
    assert!(
        error["message"].as_str().unwrap().contains("none"),
        "{error}"
    );
}

/// The portal connects without any custom header: with `?token=`, or with the
/// token offered as a subprotocol next to the chat's own (which is echoed).
/// A wrong token in either place gets 401.
pub async fn portal_connects_with_query_or_subprotocol_token<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let by_query = Client::try_connect(server.addr, &format!("/chat?token={PORTAL_TOKEN}"), &[])
        .await
        .expect("portal admitted by query token");
    assert_portal(by_query).await;

    let offer = format!("openws, bearer.{PORTAL_TOKEN}");
    let by_subprotocol =
        Client::try_connect(server.addr, "/chat", &[("sec-websocket-protocol", &offer)])
            .await
            .expect("portal admitted by subprotocol token");
    assert_eq!(
        by_subprotocol.subprotocol(),
        Some("openws"),
        "the chat's subprotocol is echoed, never the token"
    );
    assert_portal(by_subprotocol).await;

    assert_eq!(
        Client::try_connect(server.addr, "/chat?token=wrong", &[])
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        Client::try_connect(
            server.addr,
            "/chat",
            &[("sec-websocket-protocol", "openws, bearer.wrong")]
        )
        .await
        .err(),
        Some(401)
    );
    let mut client = Client::connect(server.addr, "/chat").await;
    client
        .message("portal", "requestRoomStats", json!({"roomId": "none"}))
        .await;
    client.expect_error("role_refused").await;
}
