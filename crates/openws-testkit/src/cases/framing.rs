//! RFC 6455 framing: size limits enforced from the frame header, and every
//! framing violation closed with its close code (raw sockets).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::json;

use crate::Server;
use crate::apps;
use crate::client::{Client, TIMEOUT};
use crate::raw::{self, CLOSE, CONTINUATION, Frame, PING, RawSocket, Received, TEXT};

/// A fresh connection still gets through a chat exchange.
async fn assert_serves_chat(addr: SocketAddr) {
    static ROOM: AtomicU32 = AtomicU32::new(0);
    let room = format!("fresh-{}", ROOM.fetch_add(1, Ordering::Relaxed));
    let mut client = Client::connect(addr, "/chat").await;
    client
        .message(
            "client",
            "createRoom",
            json!({"userId": "fresh", "roomId": room}),
        )
        .await;
    assert_eq!(client.expect_message("joinedRoom").await["roomId"], room);
}

/// Frames a case sends, in order.
type Sent = Vec<(Frame, Vec<u8>)>;

fn create_room() -> Vec<u8> {
    apps::frame(
        "client",
        "createRoom",
        json!({"userId": "u", "roomId": "rsv"}),
    )
    .to_string()
    .into_bytes()
}

/// A header announcing 1 GiB or 2^63 bytes closes with 1009 at once: the
/// server neither waits for nor buffers the payload. So does a fragmented
/// message whose fragments add up to more than the limit.
pub async fn huge_frame_header_closes_with_1009<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    for len in [1 << 30, 1 << 63] {
        let mut socket = RawSocket::connect(server.addr, "/chat").await;
        socket.send_bytes(&Frame::new(TEXT).header(len)).await;
        socket.send_bytes(&[b'x'; 1024]).await;
        assert_eq!(socket.expect_close().await, Some(1009), "{len} bytes");
    }
    let mut socket = RawSocket::connect(server.addr, "/chat").await;
    let fragment = [b' '; 1024];
    socket.send(Frame::new(TEXT).fragment(), &fragment).await;
    for _ in 0..100 {
        socket
            .send(Frame::new(CONTINUATION).fragment(), &fragment)
            .await;
    }
    assert_eq!(socket.expect_close().await, Some(1009), "fragmented");
    assert_serves_chat(server.addr).await;
}

/// Each RFC 6455 framing violation closes with 1002 (1007 for text that is
/// not UTF-8), before anything in the offending frame is handled.
pub async fn framing_violations_close_with_rfc_codes<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let invalid_utf8: &[u8] = &[b'"', 0xff, 0xfe, b'"'];
    let cases: Vec<(&str, Sent, u16)> = vec![
        (
            "invalid UTF-8",
            vec![(Frame::new(TEXT), invalid_utf8.to_vec())],
            1007,
        ),
        (
            "invalid UTF-8 across fragments",
            vec![
                (Frame::new(TEXT).fragment(), b"\"a".to_vec()),
                (Frame::new(CONTINUATION), invalid_utf8.to_vec()),
            ],
            1007,
        ),
        (
            "continuation without a start",
            vec![(Frame::new(CONTINUATION), b"{}".to_vec())],
            1002,
        ),
        ("RSV1", vec![(Frame::new(TEXT).rsv(4), create_room())], 1002),
        ("RSV2", vec![(Frame::new(TEXT).rsv(2), create_room())], 1002),
        ("RSV3", vec![(Frame::new(TEXT).rsv(1), create_room())], 1002),
        (
            "unmasked",
            vec![(Frame::new(TEXT).unmasked(), create_room())],
            1002,
        ),
        (
            "200-byte ping",
            vec![(Frame::new(PING), vec![b'p'; 200])],
            1002,
        ),
        (
            "fragmented ping",
            vec![(Frame::new(PING).fragment(), b"p".to_vec())],
            1002,
        ),
        ("reserved opcode 3", vec![(Frame::new(0x3), vec![])], 1002),
        ("reserved opcode 11", vec![(Frame::new(0xb), vec![])], 1002),
        (
            "new text frame inside a fragmented message",
            vec![
                (Frame::new(TEXT).fragment(), b"{".to_vec()),
                (Frame::new(TEXT), create_room()),
            ],
            1002,
        ),
        (
            "close code 999",
            vec![(Frame::new(CLOSE), raw::close_payload(999))],
            1002,
        ),
        (
            "close code 1005",
            vec![(Frame::new(CLOSE), raw::close_payload(1005))],
            1002,
        ),
        (
            "one-byte close payload",
            vec![(Frame::new(CLOSE), vec![3])],
            1002,
        ),
    ];
    let mut wrong = Vec::new();
    for (name, frames, code) in cases {
        let mut socket = RawSocket::connect(server.addr, "/chat").await;
        for (frame, payload) in frames {
            socket.send(frame, &payload).await;
        }
        let answer = socket.recv().await;
        if answer != Received::Close(Some(code)) {
            wrong.push(format!("{name}: expected close {code}, got {answer:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_serves_chat(server.addr).await;
}

/// An upgrade asking for another protocol version, or with a key that is not
/// base64 of 16 bytes, is refused with an HTTP error.
pub async fn malformed_handshakes_are_refused<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let (status, _) = raw::handshake(server.addr, "/chat", &[]).await;
    assert_eq!(status, 101, "a well-formed handshake");
    let mut wrong = Vec::new();
    let (status, _) = raw::handshake(server.addr, "/chat", &[("Sec-WebSocket-Version", "8")]).await;
    if ![400, 426].contains(&status) {
        wrong.push(format!("version 8: got {status}"));
    }
    for key in [
        "not base64 at all!",
        "AAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "dGhlIHNhbXBsZSBub25jZQ=",
        "dGhlIHNhbXBsZSBub25j*Q==",
    ] {
        let (status, _) = raw::handshake(server.addr, "/chat", &[("Sec-WebSocket-Key", key)]).await;
        if status != 400 {
            wrong.push(format!("key {key:?}: got {status}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_serves_chat(server.addr).await;
}

/// A client that sends half a request line and stalls is disconnected
/// (the header-read timeout; see `docs/adapters.md`).
pub async fn half_open_handshake_is_closed<S: Server>() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = S::start(vec![apps::chat()]).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /chat HT").await.unwrap();
    let drained = async {
        let mut sink = Vec::new();
        // EOF, or a reset: either way the server let go.
        let _ = stream.read_to_end(&mut sink).await;
    };
    tokio::time::timeout(TIMEOUT * 3, drained)
        .await
        .expect("a half-sent request line still holds its connection");
    assert_serves_chat(server.addr).await;
}
