//! A WebSocket test client with bounded waits.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any wait of the suite may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How long the suite listens to conclude that nothing arrives.
pub const QUIET: Duration = Duration::from_millis(200);

/// A connected WebSocket client.
#[derive(Debug)]
pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    subprotocol: Option<String>,
}

impl Client {
    /// Connects to `ws://addr{path}`; panics if the upgrade fails.
    pub async fn connect(addr: SocketAddr, path: &str) -> Self {
        Self::try_connect(addr, path, &[])
            .await
            .unwrap_or_else(|status| panic!("upgrade of {path} refused with HTTP {status}"))
    }

    /// Connects with the socket's receive buffer fixed at `bytes` (no kernel
    /// autotuning), so a client that stops reading stalls the server's writes soon.
    pub async fn connect_with_receive_buffer(addr: SocketAddr, path: &str, bytes: u32) -> Self {
        let connect = async {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
            let stream = socket.connect(addr).await.expect("connect");
            tokio_tungstenite::client_async(
                format!("ws://{addr}{path}"),
                MaybeTlsStream::Plain(stream),
            )
            .await
            .expect("upgrade")
        };
        let (socket, _) = tokio::time::timeout(TIMEOUT, connect)
            .await
            .expect("connect timed out");
        Self::new(socket, None)
    }

    /// Connects with extra request headers; `Err` holds the HTTP status of a refused upgrade.
    pub async fn try_connect(
        addr: SocketAddr,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Self, u16> {
        let mut request = format!("ws://{addr}{path}")
            .into_client_request()
            .expect("valid URL");
        for (name, value) in headers {
            request.headers_mut().insert(
                http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                value.parse().expect("header value"),
            );
        }
        let connect = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(TIMEOUT, connect)
            .await
            .expect("connect timed out")
        {
            Ok((socket, response)) => {
                let subprotocol = response
                    .headers()
                    .get("sec-websocket-protocol")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                Ok(Self::new(socket, subprotocol))
            }
            Err(Error::Http(response)) => Err(response.status().as_u16()),
            Err(error) => panic!("connect failed: {error}"),
        }
    }

    fn new(
        socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
        subprotocol: Option<String>,
    ) -> Self {
        Self {
            socket,
            subprotocol,
        }
    }

    /// The subprotocol the server echoed in `Sec-WebSocket-Protocol`.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// Reads for `period`, answering pings (the client library does) and
    /// expecting nothing else; returns how many pings arrived.
    pub async fn idle(&mut self, period: Duration) -> usize {
        let mut pings = 0;
        let until = tokio::time::Instant::now() + period;
        while let Ok(next) = tokio::time::timeout_at(until, self.socket.next()).await {
            match next {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Pong(_))) => {}
                other => panic!("expected only pings while idle, got {other:?}"),
            }
        }
        pings
    }

    /// Sends a JSON value as a text frame.
    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// Sends raw text.
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send failed");
    }

    /// Sends a binary frame.
    pub async fn send_binary(&mut self, data: Vec<u8>) {
        self.socket
            .send(Message::binary(data))
            .await
            .expect("send failed");
    }

    /// Sends `{fromRole, messageName, payload}`.
    pub async fn message(&mut self, from_role: &str, name: &str, payload: Value) {
        self.send(serde_json::json!({
            "fromRole": from_role, "messageName": name, "payload": payload
        }))
        .await;
    }

    /// The next text frame, parsed; panics on timeout, close or non-JSON.
    pub async fn recv(&mut self) -> Value {
        loop {
            let next = tokio::time::timeout(TIMEOUT, self.socket.next())
                .await
                .expect("no frame within the timeout");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).expect("server sent JSON");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// The next frame, which must be an error frame with `code`; returns the error object.
    pub async fn expect_error(&mut self, code: &str) -> Value {
        let frame = self.recv().await;
        assert_eq!(frame["error"]["code"], code, "unexpected frame: {frame}");
        assert!(
            frame["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error frames explain themselves: {frame}"
        );
        frame["error"].clone()
    }

    /// The next frame, which must be message `name`; returns its payload.
    pub async fn expect_message(&mut self, name: &str) -> Value {
        let frame = self.recv().await;
        assert_eq!(frame["messageName"], name, "unexpected frame: {frame}");
        frame["payload"].clone()
    }

    /// Asserts that no frame arrives for [`QUIET`].
    pub async fn expect_silence(&mut self) {
        if let Ok(next) = tokio::time::timeout(QUIET, self.socket.next()).await {
            panic!("expected no frame, got {next:?}");
        }
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        self.expect_close_frame().await.map(|(code, _)| code)
    }

    /// Waits for the server to close the connection, skipping frames before
    /// the close; returns the close code and reason, `None` when the socket
    /// ended without a close frame.
    pub async fn expect_close_frame(&mut self) -> Option<(u16, String)> {
        loop {
            let next = tokio::time::timeout(TIMEOUT, self.socket.next())
                .await
                .expect("connection not closed within the timeout");
            match next {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Closes the connection normally and waits for the server's answer.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let _ = tokio::time::timeout(TIMEOUT, async {
            while let Some(Ok(_)) = self.socket.next().await {}
        })
        .await;
    }
}

/// Waits (bounded by [`TIMEOUT`]) until `condition` holds; panics naming `what` otherwise.
pub async fn wait_until(condition: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
