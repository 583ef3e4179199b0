//! Sessions driven without sockets: text frames in, outbox frames out.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use openws_core::{
    Admission, Bindings, CloseFrame, Ctx, ErrorCode, HandlerError, Message, Network, Outbox,
    Outgoing, Peer, Role, SendError,
};
use serde_json::{Value, json};

#[derive(Default)]
struct Board {
    peers: Mutex<Vec<Peer>>,
    closes: AtomicU32,
}

fn network() -> Network {
    let text =
        json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]});
    Network::builder("board")
        .role(
            Role::host("server")
                .message(
                    Message::new("post")
                        .payload_schema(text.clone())
                        .from(["writer"]),
                )
                .message(Message::new("watch").from(["reader"])),
        )
        .role(Role::new("writer").message(Message::new("posted").payload_schema(text.clone())))
        .role(Role::new("reader").message(Message::new("posted").payload_schema(text)))
        .build()
        .unwrap()
}

fn bindings() -> (Bindings, Arc<Board>) {
    let board = Arc::new(Board::default());
    let bindings = Bindings::builder(network(), Arc::clone(&board))
        .on("post", |ctx: Ctx<Arc<Board>>, payload: Value| async move {
            let peers = ctx.state().peers.lock().unwrap().clone();
            for peer in peers {
                peer.send("posted", &payload).await?;
            }
            ctx.reply("posted", &payload).await?;
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .on("watch", |ctx: Ctx<Arc<Board>>, _: Value| async move {
            ctx.state().peers.lock().unwrap().push(ctx.peer().clone());
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .open_roles(["writer", "reader"])
        .on_close(|ctx: Ctx<Arc<Board>>| async move {
            ctx.state().closes.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    (bindings, board)
}

fn next(outbox: &mut Outbox) -> Value {
    match outbox.try_recv() {
        Some(Outgoing::Text(bytes)) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

fn frame(role: &str, name: &str, payload: Value) -> String {
    json!({"fromRole": role, "messageName": name, "payload": payload}).to_string()
}

#[tokio::test]
async fn first_frame_opens_and_handlers_reach_stored_peers() {
    let (bindings, board) = bindings();
    let (mut reader, mut reader_out) = bindings.session(Admission::first_frame());
    let (mut writer, mut writer_out) = bindings.session(Admission::first_frame());
    assert_eq!(reader.role(), None);

    reader
        .handle_text(&frame("reader", "watch", json!({})))
        .await
        .unwrap();
    assert_eq!(reader.role(), Some("reader"));
    assert!(reader_out.try_recv().is_none());

    writer
        .handle_text(&frame("writer", "post", json!({"text": "hello"})))
        .await
        .unwrap();
    assert_eq!(
        next(&mut reader_out),
        json!({"fromRole": "server", "messageName": "posted", "payload": {"text": "hello"}})
    );
    assert_eq!(next(&mut writer_out)["payload"]["text"], "hello");
    assert_eq!(board.peers.lock().unwrap()[0].role(), "reader");
    assert_ne!(reader.connection_id(), writer.connection_id());
}

#[tokio::test]
async fn refusals_come_back_as_error_frames_in_order() {
    let (bindings, _) = bindings();
    let (mut session, mut outbox) = bindings.session(Admission::role("writer"));
    let cases = [
        ("{".to_owned(), ErrorCode::BadFrame),
        (frame("reader", "watch", json!({})), ErrorCode::RoleMismatch),
        (frame("ghost", "post", json!({})), ErrorCode::UnknownRole),
        (
            frame("writer", "erase", json!({})),
            ErrorCode::UnknownMessage,
        ),
        (
            frame("writer", "watch", json!({})),
            ErrorCode::ForbiddenRole,
        ),
        (
            frame("writer", "post", json!({"text": 1})),
            ErrorCode::InvalidPayload,
        ),
    ];
    for (text, code) in &cases {
        let error = session.handle_text(text).await.unwrap_err();
        assert_eq!(error.code, *code, "{text}");
        let sent = next(&mut outbox);
        assert_eq!(sent["error"]["code"], code.as_str());
        assert_eq!(sent["fromRole"], "server");
    }
    session
        .handle_text(&frame("writer", "post", json!({"text": "ok"})))
        .await
        .unwrap();
    assert_eq!(next(&mut outbox)["messageName"], "posted");
}

#[tokio::test]
async fn open_is_idempotent_and_final() {
    let (bindings, _) = bindings();
    let (mut session, _outbox) = bindings.session(Admission::first_frame());
    session.open("reader").unwrap();
    session.open("reader").unwrap();
    assert_eq!(
        session.open("writer").unwrap_err().code,
        ErrorCode::RoleMismatch
    );
    assert_eq!(
        session.open("server").unwrap_err().code,
        ErrorCode::UnknownRole
    );
    assert_eq!(session.role(), Some("reader"));
}

#[tokio::test]
async fn peer_sends_are_validated_against_the_receiving_role() {
    let (bindings, _) = bindings();
    let (session, mut outbox) = bindings.session(Admission::role("reader"));
    let peer = session.peer().unwrap().clone();
    let invalid = peer.send("posted", &json!({"text": 3})).await.unwrap_err();
    assert!(matches!(invalid, SendError::InvalidPayload(_)), "{invalid}");
    let unknown = peer.send("post", &json!({"text": "x"})).await.unwrap_err();
    assert!(
        matches!(unknown, SendError::UnknownMessage { .. }),
        "{unknown}"
    );
    assert!(outbox.try_recv().is_none(), "nothing invalid is queued");
    peer.send("posted", &json!({"text": "x"})).await.unwrap();
    assert_eq!(next(&mut outbox)["payload"]["text"], "x");

    drop(outbox);
    assert!(!peer.is_connected());
    let gone = peer
        .send("posted", &json!({"text": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(gone, SendError::Disconnected), "{gone}");
    drop(session);
}

#[tokio::test]
async fn close_runs_the_hook_once_for_opened_sessions_only() {
    let (bindings, board) = bindings();
    let (opened, _out) = bindings.session(Admission::role("reader"));
    let (never_opened, _out2) = bindings.session(Admission::first_frame());
    opened.close().await;
    never_opened.close().await;
    assert_eq!(board.closes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn close_sends_queued_frames_first_and_refuses_later_sends() {
    let (bindings, _) = bindings();
    let (session, mut outbox) = bindings.session(Admission::role("reader"));
    let peer = session.peer().unwrap().clone();
    peer.send("posted", &json!({"text": "queued"}))
        .await
        .unwrap();
    peer.close(CloseFrame::new(CloseFrame::NORMAL, "kicked"));
    let late = peer.send("posted", &json!({"text": "late"})).await;
    assert!(matches!(late, Err(SendError::Disconnected)), "{late:?}");
    assert_eq!(next(&mut outbox)["payload"]["text"], "queued");
    assert_eq!(
        outbox.recv().await,
        Some(Outgoing::Close(CloseFrame::new(1000, "kicked")))
    );
    assert_eq!(outbox.try_recv(), None, "nothing follows the close frame");
}

#[tokio::test]
async fn abort_overtakes_queued_frames() {
    let (bindings, _) = bindings();
    let (session, mut outbox) = bindings.session(Admission::role("reader"));
    let peer = session.peer().unwrap().clone();
    peer.send("posted", &json!({"text": "queued"}))
        .await
        .unwrap();
    peer.abort(CloseFrame::new(CloseFrame::GOING_AWAY, "bye"));
    assert_eq!(
        outbox.recv().await,
        Some(Outgoing::Close(CloseFrame::new(1001, "bye")))
    );
    assert_eq!(outbox.try_recv(), None, "queued frames are dropped");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_never_reads_is_dropped_as_slow() {
    let board = Arc::new(Board::default());
    let bindings = Bindings::builder(network(), board)
        .on("post", |_: Ctx<Arc<Board>>, _: Value| async {
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .on("watch", |_: Ctx<Arc<Board>>, _: Value| async {
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .fixed_role("reader")
        .outbound_queue(2)
        .send_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let (session, mut outbox) = bindings.session(Admission::role("reader"));
    let peer = session.peer().unwrap().clone();
    for _ in 0..2 {
        peer.send("posted", &json!({"text": "x"})).await.unwrap();
    }
    let slow = peer
        .send("posted", &json!({"text": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(slow, SendError::SlowConsumer), "{slow}");
    match outbox.recv().await {
        Some(Outgoing::Close(frame)) => assert_eq!(frame.code, CloseFrame::POLICY),
        other => panic!("expected a policy close, got {other:?}"),
    }
}
