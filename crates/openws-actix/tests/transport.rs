//! What the adapter does that actix-http leaves to it (answering pings and the
//! closing handshake, joining and sizing fragmented messages), over a real
//! socket. Everything else is in the conformance suite.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use futures_util::{SinkExt, StreamExt};
use openws_core::Networks;
use openws_testkit::apps::{self, PROBE_MAX_FRAME, RoleRule};
use openws_testkit::client::TIMEOUT;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame};
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Serves the probe at `/api/p`, in a scope.
async fn start() -> (SocketAddr, actix_web::dev::ServerHandle) {
    let probe = apps::probe("/p", RoleRule::Fixed, Arc::default()).bindings;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let networks = Networks::new();
    let server = HttpServer::new(move || {
        App::new().service(web::scope("/api").configure(openws_actix::network(
            "/p",
            probe.clone(),
            &networks,
        )))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, handle)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: SocketAddr) -> Socket {
    let url = format!("ws://{addr}/api/p");
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn next(socket: &mut Socket) -> Option<Message> {
    tokio::time::timeout(TIMEOUT, socket.next())
        .await
        .expect("no frame within the timeout")
        .and_then(Result::ok)
}

fn text_frame(opcode: OpCode, text: &str, last: bool) -> Message {
    Message::Frame(Frame::message(Bytes::from(text.to_owned()), opcode, last))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_and_the_closing_handshake_are_answered() {
    let (addr, server) = start().await;
    let mut socket = connect(addr).await;
    socket
        .send(Message::Ping(Bytes::from_static(b"hi")))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await,
        Some(Message::Pong(Bytes::from_static(b"hi")))
    );
    socket.close(None).await.unwrap();
    assert!(matches!(next(&mut socket).await, Some(Message::Close(_))));
    server.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragmented_messages_are_joined_and_sized() {
    let (addr, server) = start().await;
    let mut socket = connect(addr).await;
    let half = r#"{"fromRole":"user","messageName":"echo","#;
    socket
        .send(text_frame(OpCode::Data(Data::Text), half, false))
        .await
        .unwrap();
    let rest = r#""payload":{"text":"joined"}}"#;
    socket
        .send(text_frame(OpCode::Data(Data::Continue), rest, true))
        .await
        .unwrap();
    let reply = next(&mut socket).await.expect("echo");
    assert!(reply.to_text().unwrap().contains("joined"), "{reply:?}");

    let chunk = "x".repeat(PROBE_MAX_FRAME * 3 / 4);
    socket
        .send(text_frame(OpCode::Data(Data::Text), &chunk, false))
        .await
        .unwrap();
    socket
        .send(text_frame(OpCode::Data(Data::Continue), &chunk, true))
        .await
        .unwrap();
    let close = next(&mut socket).await;
    assert!(
        matches!(&close, Some(Message::Close(Some(CloseFrame { code, .. }))) if u16::from(*code) == 1009),
        "{close:?}"
    );
    server.stop(false).await;
}
