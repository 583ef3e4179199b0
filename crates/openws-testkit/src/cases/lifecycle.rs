//! Closing from either side, and the frame size limit.

use std::sync::Arc;

use serde_json::json;

use crate::Server;
use crate::apps::{self, PROBE_MAX_FRAME, ProbeState, RoleRule};
use crate::client::Client;

/// Opens a probe connection and returns it with its connection id.
async fn opened(
    server: std::net::SocketAddr,
    state: &ProbeState,
) -> (Client, openws::ConnectionId) {
    let mut client = Client::connect(server, "/p").await;
    client
        .message("user", "echo", json!({"text": "open"}))
        .await;
    client.expect_message("echoed").await;
    let id = *state.opened().last().expect("echo recorded the connection");
    (client, id)
}

/// The client closes: the close hook runs exactly once.
pub async fn close_hook_runs_once_when_client_closes<S: Server>() {
    let state = Arc::new(ProbeState::default());
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::clone(&state))]).await;
    let (client, id) = opened(server.addr, &state).await;
    assert_eq!(state.closes(id), 0);
    client.close().await;
    assert_eq!(state.wait_closed(id).await, 1);
}

/// The server closes (a handler kicks its peer with a reason): what the
/// handler sent before arrives first, then the close code and reason, and
/// the close hook runs exactly once.
pub async fn kick_with_reason_arrives_after_queued_frames<S: Server>() {
    let state = Arc::new(ProbeState::default());
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::clone(&state))]).await;
    let (mut client, id) = opened(server.addr, &state).await;
    client.message("user", "kick", json!({})).await;
    assert_eq!(
        client.expect_message("echoed").await,
        json!({"text": "bye"})
    );
    assert_eq!(
        client.expect_close_frame().await,
        Some((1000, "kicked".to_owned()))
    );
    assert_eq!(state.wait_closed(id).await, 1);
}

/// A frame over the limit closes the connection with 1009; the server serves others.
pub async fn oversized_frame_closes_with_1009<S: Server>() {
    let state = Arc::new(ProbeState::default());
    let server = S::start(vec![apps::probe("/p", RoleRule::Fixed, Arc::clone(&state))]).await;
    let (mut client, id) = opened(server.addr, &state).await;
    let text = "x".repeat(PROBE_MAX_FRAME * 2);
    client
        .message("user", "echo", json!({ "text": text }))
        .await;
    assert_eq!(client.expect_close().await, Some(1009));
    assert_eq!(state.wait_closed(id).await, 1);
    let (_other, _) = opened(server.addr, &state).await;
}
