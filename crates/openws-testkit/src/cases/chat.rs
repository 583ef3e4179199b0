//! The seed's chat flow, across a creator, a joiner and the portal, spoken by
//! clients generated from the chat spec and by typed clients of the trait-first roles.

use std::future::Future;

use openws::ErrorCode;
use openws_client::{ClientError, TypedClient};

use crate::apps::chat::RoomRequest;
use crate::apps::chat::trait_first::{self as roles, CreateRoom, JoinRoom, Joined, Received};
use crate::apps::{self, PORTAL_TOKEN};
use crate::client::{QUIET, TIMEOUT};
use crate::generated::chat_client::{self as user, ChatClient};
use crate::generated::chat_portal::{self as portal, ChatPortal};
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

/// What a generated client's `recv` yields next, within the suite's timeout.
async fn next<T>(
    recv: impl Future<Output = Option<Result<T, ClientError>>>,
) -> Result<T, ClientError> {
    tokio::time::timeout(TIMEOUT, recv)
        .await
        .expect("no frame within the timeout")
        .expect("the connection is open")
}

/// Asserts that nothing arrives for [`QUIET`].
async fn silent<T: std::fmt::Debug>(recv: impl Future<Output = Option<T>>) {
    if let Ok(frame) = tokio::time::timeout(QUIET, recv).await {
        panic!("expected no frame, got {frame:?}");
    }
}

async fn chat_flow(server: RunningServer) {
    let url = format!("ws://{}/chat", server.addr);
    let mut alice = ChatClient::connect(&url).await.expect("alice connects");
    let mut bob = ChatClient::connect(&url).await.expect("bob connects");
    let portal_builder = ChatPortal::builder(&url).bearer_token(PORTAL_TOKEN);
    let mut portal = ChatPortal::connect_with(portal_builder)
        .await
        .expect("portal admitted");
    let room = |user_id: &str, room_id: &str| (user_id.to_owned(), room_id.to_owned());

    let (user_id, room_id) = room("alice", "r1");
    alice
        .send_create_room(&user::CreateRoom { user_id, room_id })
        .await
        .unwrap();
    assert_eq!(
        next(alice.recv()).await.unwrap(),
        user::Received::JoinedRoom(user::JoinedRoom {
            room_id: "r1".into(),
            joiner_id: "alice".into()
        })
    );

    let (user_id, room_id) = room("bob", "r1");
    bob.send_join_room(&user::JoinRoom { user_id, room_id })
        .await
        .unwrap();
    let joined = user::Received::JoinedRoom(user::JoinedRoom {
        room_id: "r1".into(),
        joiner_id: "bob".into(),
    });
    assert_eq!(next(alice.recv()).await.unwrap(), joined);
    assert_eq!(next(bob.recv()).await.unwrap(), joined);

    alice
        .send_send_message(&user::SendMessage {
            user_id: "alice".into(),
            room_id: "r1".into(),
            text: "hi bob".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        next(bob.recv()).await.unwrap(),
        user::Received::ReceivedMessage(user::ReceivedMessage {
            room_id: "r1".into(),
            sender_id: "alice".into(),
            text: "hi bob".into()
        })
    );
    silent(alice.recv()).await;

    // The stats are a reply: the request resolves on the frame answering its id.
    let stats = portal
        .request_request_room_stats(&portal::RequestRoomStats {
            room_id: "r1".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        stats,
        portal::Received::ReceivedRoomStats(portal::ReceivedRoomStats {
            room_id: "r1".into(),
            members: vec!["alice".into(), "bob".into()]
        })
    );

    portal
        .send_send_message(&portal::SendMessage {
            user_id: "admin".into(),
            room_id: "r1".into(),
            text: "notice".into(),
        })
        .await
        .unwrap();
    for member in [&mut alice, &mut bob] {
        let user::Received::ReceivedMessage(message) = next(member.recv()).await.unwrap() else {
            panic!("expected the portal's message");
        };
        assert_eq!(message.sender_id, "admin");
    }
    silent(portal.recv()).await;

    // A refusal of a plain send arrives as a typed error; of a request, as its result.
    let (user_id, room_id) = room("bob", "nowhere");
    let nowhere = user::JoinRoom { user_id, room_id };
    bob.send_join_room(&nowhere).await.unwrap();
    let error = next(bob.recv()).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::HandlerError), "{error}");
    let error = bob.request_join_room(&nowhere).await.unwrap_err();
    assert_eq!(error.code(), Some(ErrorCode::HandlerError), "{error}");
    let frame = error.server_error().expect("an error frame");
    assert_eq!(frame.message_name.as_deref(), Some("joinRoom"));
    assert!(frame.message.contains("nowhere"), "{frame:?}");
    assert!(frame.reply_to.is_some(), "the error answers the request");
}

/// A handle stored by one connection's handler reaches that peer from
/// another connection's handler, and a departed peer is simply skipped.
pub async fn peer_handles_work_from_other_connections<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let url = format!("ws://{}/chat", server.addr);
    let connect = || async {
        let client = TypedClient::<roles::Client>::connect(url.as_str()).await;
        client.expect("client connects")
    };
    let (mut alice, mut bob, mut carol) = (connect().await, connect().await, connect().await);
    let request = |user_id: &str| RoomRequest {
        user_id: user_id.into(),
        room_id: "r".into(),
    };
    alice.send(CreateRoom, &request("alice")).await.unwrap();
    within(alice.recv_message(Joined)).await.unwrap();
    for (name, client) in [("bob", &mut bob), ("carol", &mut carol)] {
        client.send(JoinRoom, &request(name)).await.unwrap();
        within(client.recv_message(Joined)).await.unwrap();
    }
    within(alice.recv_message(Joined)).await.unwrap();
    within(alice.recv_message(Joined)).await.unwrap();
    within(bob.recv_message(Joined)).await.unwrap();

    carol.close().await.unwrap();
    // The connection has ended once the inbox is drained.
    while within(carol.recv()).await.is_some() {}
    let message = crate::apps::chat::SendMessage {
        user_id: "bob".into(),
        room_id: "r".into(),
        text: "still here?".into(),
    };
    bob.send(roles::PostMessage, &message).await.unwrap();
    assert_eq!(
        within(alice.recv_message(Received)).await.unwrap().text,
        "still here?"
    );
    silent(bob.recv()).await;
}

/// Awaits `future` within the suite's timeout.
async fn within<T, F: Future<Output = T>>(future: F) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("no frame within the timeout")
}
