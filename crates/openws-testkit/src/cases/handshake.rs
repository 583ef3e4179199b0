//! Role selection: fixed roles, connect hooks, first-frame compatibility mode, spoofing.

use std::sync::Arc;

use serde_json::json;

use crate::apps::{self, ADMIN_KEY, RoleRule};
use crate::client::Client;
use crate::{Server, cases::chat::portal_headers};

/// A fixed-role route: the role holds from the first frame, and no frame can change it.
pub async fn fixed_role_holds_for_every_frame<S: Server>() {
    let server = S::start(vec![apps::probe("/fixed", RoleRule::Fixed, Arc::default())]).await;
    let mut user = Client::connect(server.addr, "/fixed").await;
    user.message("user", "echo", json!({"text": "hi"})).await;
    assert_eq!(user.expect_message("echoed").await, json!({"text": "hi"}));
    user.message("admin", "adminOnly", json!({})).await;
    user.expect_error("role_mismatch").await;
    user.message("user", "echo", json!({"text": "still user"}))
        .await;
    assert_eq!(user.expect_message("echoed").await["text"], "still user");
}

/// The chat's connect hook gives `portal` to a request with the right bearer token.
pub async fn connect_hook_admits_portal_with_token<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut portal = Client::try_connect(server.addr, "/chat", &portal_headers())
        .await
        .expect("portal admitted");
    // Only a portal may ask for stats: the answer (a handler error for a
    // missing room) proves the connection holds `portal`.
    portal
        .message("portal", "requestRoomStats", json!({"roomId": "none"}))
        .await;
    let error = portal.expect_error("handler_error").await;
    assert!(
        error["message"].as_str().unwrap().contains("none"),
        "{error}"
    );

    let probe = S::start(vec![apps::probe("/p", RoleRule::Hook, Arc::default())]).await;
    let path = format!("/p?role=admin&key={ADMIN_KEY}");
    let mut admin = Client::connect(probe.addr, &path).await;
    admin.message("admin", "adminOnly", json!({})).await;
    assert_eq!(admin.expect_message("echoed").await["text"], "admin");
}

/// A wrong bearer token is refused before the upgrade, with 401.
pub async fn connect_hook_refuses_bad_token_with_401<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let refused = Client::try_connect(
        server.addr,
        "/chat",
        &[("authorization", "Bearer not-the-token")],
    )
    .await;
    assert_eq!(refused.err(), Some(401));
    let probe = S::start(vec![apps::probe("/p", RoleRule::Hook, Arc::default())]).await;
    let refused = Client::try_connect(probe.addr, "/p?role=admin&key=wrong", &[]).await;
    assert_eq!(refused.err(), Some(401));
}

/// A hook can refuse with 403; the server keeps serving others.
pub async fn connect_hook_refuses_with_403<S: Server>() {
    let server = S::start(vec![apps::probe("/p", RoleRule::Hook, Arc::default())]).await;
    let refused = Client::try_connect(server.addr, "/p?role=banned", &[]).await;
    assert_eq!(refused.err(), Some(403));
    let mut user = Client::connect(server.addr, "/p").await;
    user.message("user", "echo", json!({"text": "ok"})).await;
    user.expect_message("echoed").await;
}

/// Compatibility mode: the first frame opens the session, only for open roles.
pub async fn first_frame_opens_only_open_roles<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut client = Client::connect(server.addr, "/chat").await;
    client
        .message("portal", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    client.expect_error("role_refused").await;
    client
        .message(
            "server",
            "createRoom",
            json!({"userId": "u", "roomId": "r"}),
        )
        .await;
    client.expect_error("role_refused").await;
    client
        .message("ghost", "createRoom", json!({"userId": "u", "roomId": "r"}))
        .await;
    client.expect_error("unknown_role").await;
    client
        .message(
            "client",
            "createRoom",
            json!({"userId": "u", "roomId": "r"}),
        )
        .await;
    client.expect_message("joinedRoom").await;
    // Once open, the role never changes.
    client
        .message("portal", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    client.expect_error("role_mismatch").await;

    let probe = S::start(vec![apps::probe(
        "/open",
        RoleRule::FirstFrame,
        Arc::default(),
    )])
    .await;
    let mut admin = Client::connect(probe.addr, "/open").await;
    admin.message("admin", "adminOnly", json!({})).await;
    admin.expect_error("role_refused").await;
}

/// A connection cannot claim a role other than the one it holds.
pub async fn role_spoofing_is_refused<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let mut portal = Client::try_connect(server.addr, "/chat", &portal_headers())
        .await
        .expect("portal admitted");
    portal
        .message(
            "client",
            "createRoom",
            json!({"userId": "p", "roomId": "r"}),
        )
        .await;
    portal.expect_error("role_mismatch").await;
    let mut client = Client::connect(server.addr, "/chat").await;
    client
        .message(
            "client",
            "createRoom",
            json!({"userId": "c", "roomId": "r"}),
        )
        .await;
    client.expect_message("joinedRoom").await;
    client
        .message("portal", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    client.expect_error("role_mismatch").await;
    // The refused frames did nothing: the room has only its creator.
    portal
        .message("portal", "requestRoomStats", json!({"roomId": "r"}))
        .await;
    assert_eq!(
        portal.expect_message("receivedRoomStats").await["members"],
        json!(["c"])
    );
}
