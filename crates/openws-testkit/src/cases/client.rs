//! The Rust client against each adapter: requests correlated under
//! concurrency, typed error frames, timeouts, refusals and closes.

use std::sync::Arc;

use openws::ErrorCode;
use openws_client::{Client, ClientError, CloseInfo, Frame};
use serde_json::json;

use crate::Server;
use crate::apps::{self, RoleRule};
use crate::client::{QUIET, TIMEOUT};

/// Concurrent requests each get their own answer; an error frame answering a
/// request fails it with its code; a request nobody answers times out; a
/// refused upgrade and a server-side close are typed.
pub async fn client_requests_are_correlated<S: Server>() {
    let server = S::start(vec![
        apps::probe("/p", RoleRule::Fixed, Arc::default()),
        apps::probe("/hook", RoleRule::Hook, Arc::default()),
        apps::chat(),
    ])
    .await;
    let base = format!("ws://{}", server.addr);
    let mut client = Client::builder(format!("{base}/p"), "user")
        .connect()
        .await
        .expect("connects");

    let texts: Vec<String> = (0..8).map(|n| format!("echo {n}")).collect();
    let requests = texts.iter().map(|text| {
        let sender = client.sender();
        async move { sender.request("echo", &json!({ "text": text })).await }
    });
    for (text, answer) in texts
        .iter()
        .zip(futures_util::future::join_all(requests).await)
    {
        let answer = answer.expect("echoed");
        assert_eq!(answer.message_name, "echoed");
        assert_eq!(answer.payload["text"], text.as_str());
    }

    let error = client.request("fail", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::HandlerError), "{error}");
    let error = client.request("adminOnly", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::ForbiddenRole), "{error}");

    let refused = Client::builder(format!("{base}/hook?role=banned"), "user")
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ClientError::Refused { status: 403, .. }),
        "{refused}"
    );

    // `sendMessage` is never answered to its sender.
    let mut chatter = Client::builder(format!("{base}/chat"), "client")
        .timeout(QUIET)
        .connect()
        .await
        .expect("connects");
    let room = json!({"userId": "u", "roomId": "r"});
    chatter.send("createRoom", &room).await.unwrap();
    let joined = chatter.recv().await.expect("joinedRoom");
    assert!(matches!(joined, Frame::Message(m) if m.message_name == "joinedRoom"));
    let message = json!({"userId": "u", "roomId": "r", "text": "hi"});
    let timeout = chatter.request("sendMessage", &message).await.unwrap_err();
    assert!(matches!(timeout, ClientError::Timeout(_)), "{timeout}");

    // `kick` answers, then the server closes: the close frame is kept, and
    // sending afterwards fails with `Closed`.
    let bye = client.request("kick", &json!({})).await.expect("answered");
    assert_eq!(bye.payload["text"], "bye");
    let ended = tokio::time::timeout(TIMEOUT, async { while client.recv().await.is_some() {} });
    ended.await.expect("the server closes the connection");
    let kicked = CloseInfo {
        code: 1000,
        reason: "kicked".into(),
    };
    assert_eq!(client.close_info(), Some(kicked));
    let after = client.request("echo", &json!({"text": "late"})).await;
    assert!(matches!(after, Err(ClientError::Closed(_))), "{after:?}");
}
