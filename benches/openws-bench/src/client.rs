//! The load generator's client side: loopback WebSockets, the chat frames
//! the scenarios send, and bounded waits.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use futures_util::{SinkExt, Stream, StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::Error;

/// A client connection.
pub(crate) type Ws = WebSocketStream<TcpStream>;

/// The longest any single wait of a client may take.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// How many connections are opened at once.
pub(crate) const CONNECTING_AT_ONCE: usize = 64;

/// Microseconds since the harness started; every client shares this clock.
pub(crate) fn now_us() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let micros = EPOCH.get_or_init(Instant::now).elapsed().as_micros();
    u64::try_from(micros).unwrap_or(u64::MAX)
}

/// Microseconds since the Unix epoch: unlike [`now_us`], one reading every
/// process on this machine shares (they all read the kernel's one real-time clock).
pub(crate) fn wall_us() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX)
}

/// Opens a WebSocket to `ws://addr{path}` (Nagle off, as the servers do).
pub(crate) async fn connect(addr: SocketAddr, path: &str) -> Result<Ws, Error> {
    open_socket(addr, path, None, None, None).await
}

/// [`connect`] with the socket's receive buffer fixed at `bytes` (no kernel
/// autotuning), so a client that stops reading stalls the server's writes soon.
pub(crate) async fn connect_with_receive_buffer(
    addr: SocketAddr,
    path: &str,
    bytes: u32,
) -> Result<Ws, Error> {
    open_socket(addr, path, None, Some(bytes), None).await
}

/// The read buffer of a [`connect_lean`] client (tungstenite's default,
/// 128 KiB, is filled with zeros on first read, so it is all resident).
const LEAN_READ_BUFFER: usize = 4 * 1024;

/// [`connect`] for clients held by the tens of thousands: the connection
/// comes from `source` (any `127.0.0.x` on Linux loopback, each with its own
/// ephemeral ports) when given, and holds a 4 KiB read buffer.
pub(crate) async fn connect_lean(
    addr: SocketAddr,
    path: &str,
    source: Option<IpAddr>,
) -> Result<Ws, Error> {
    let config = WebSocketConfig::default().read_buffer_size(LEAN_READ_BUFFER);
    open_socket(addr, path, source, None, Some(config)).await
}

/// Opens the TCP connection (from `source`, with a fixed `receive_buffer`,
/// when given) and the WebSocket on it.
async fn open_socket(
    addr: SocketAddr,
    path: &str,
    source: Option<IpAddr>,
    receive_buffer: Option<u32>,
    config: Option<WebSocketConfig>,
) -> Result<Ws, Error> {
    let open = async {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if let Some(source) = source {
            socket.bind(SocketAddr::new(source, 0))?;
        }
        if let Some(bytes) = receive_buffer {
            // Before connecting, so the window the client offers is small from the start.
            socket.set_recv_buffer_size(bytes)?;
        }
        let tcp = socket.connect(addr).await?;
        tcp.set_nodelay(true)?;
        let url = format!("ws://{addr}{path}");
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, tcp, config).await?;
        Ok::<_, Error>(ws)
    };
    tokio::time::timeout(WAIT, open)
        .await
        .map_err(|_| format!("connecting to {addr}{path} timed out"))?
}

/// Opens one connection per `(user, room)`, each creating its room and
/// waiting for the server's `joinedRoom`, a bounded number at a time.
pub(crate) async fn open_users(
    addr: SocketAddr,
    path: &str,
    users: impl Iterator<Item = (String, String)>,
) -> Result<Vec<Ws>, Error> {
    enter_each(addr, path, "createRoom", users)
        .try_collect()
        .await
}

/// Opens one connection per `(user, room)`, each entering its room with
/// `message` (`createRoom` or `joinRoom`) and waiting for its `joinedRoom`,
/// a bounded number at a time; yields them in order as they are ready.
pub(crate) fn enter_each<'a>(
    addr: SocketAddr,
    path: &'a str,
    message: &'a str,
    users: impl Iterator<Item = (String, String)> + 'a,
) -> impl Stream<Item = Result<Ws, Error>> + 'a {
    stream::iter(users)
        .map(move |(user, room)| async move {
            let mut ws = connect(addr, path).await?;
            enter(&mut ws, message, &user, &room).await?;
            Ok::<_, Error>(ws)
        })
        .buffered(CONNECTING_AT_ONCE)
}

/// Closes `ws` with the closing handshake: sends a close frame and reads
/// until the server's answer ends the stream.
pub(crate) async fn disconnect(mut ws: Ws) -> Result<(), Error> {
    let close = async {
        ws.close(None).await?;
        while let Some(message) = ws.next().await {
            match message {
                Ok(_) => {}
                Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed) => break,
                Err(error) => return Err(error.into()),
            }
        }
        Ok::<_, Error>(())
    };
    tokio::time::timeout(WAIT, close)
        .await
        .map_err(|_| "the closing handshake timed out")?
}

/// Sends `createRoom` or `joinRoom` for `user` and waits for the server to
/// confirm it with the `joinedRoom` naming `user`.
pub(crate) async fn enter(ws: &mut Ws, message: &str, user: &str, room: &str) -> Result<(), Error> {
    let frame = envelope(
        message,
        &serde_json::json!({"userId": user, "roomId": room}),
    );
    ws.send(Message::text(frame)).await?;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = next_text(ws, deadline).await?;
        let incoming = Incoming::parse(&text)?;
        if incoming.message_name.as_deref() == Some("joinedRoom")
            && incoming.payload.and_then(|p| p.joiner_id).as_deref() == Some(user)
        {
            return Ok(());
        }
    }
}

/// The next text frame, waiting at most until `deadline`.
pub(crate) async fn next_text<S>(
    ws: &mut S,
    deadline: tokio::time::Instant,
) -> Result<Utf8Bytes, Error>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| "no frame arrived in time")?
            .ok_or("the server closed the connection")??;
        match message {
            Message::Text(text) => return Ok(text),
            Message::Close(frame) => return Err(format!("the server closed: {frame:?}").into()),
            _ => {}
        }
    }
}

/// A client frame of the chat network.
pub(crate) fn envelope<T: Serialize>(message_name: &str, payload: &T) -> String {
    envelope_from("client", message_name, payload)
}

/// A frame of the chat network from `role`.
pub(crate) fn envelope_from<T: Serialize>(role: &str, message_name: &str, payload: &T) -> String {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        #[serde(rename = "fromRole")]
        from_role: &'a str,
        #[serde(rename = "messageName")]
        message_name: &'a str,
        payload: &'a T,
    }
    let envelope = Envelope {
        from_role: role,
        message_name,
        payload,
    };
    serde_json::to_string(&envelope).expect("frames serialize")
}

/// What the scenarios read of a server frame.
#[derive(Deserialize)]
pub(crate) struct Incoming<'a> {
    #[serde(rename = "messageName", borrow, default)]
    pub(crate) message_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) payload: Option<IncomingPayload<'a>>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// The payload fields the scenarios look at.
#[derive(Deserialize)]
pub(crate) struct IncomingPayload<'a> {
    #[serde(rename = "joinerId", borrow, default)]
    pub(crate) joiner_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) text: Option<Cow<'a, str>>,
}

impl<'a> Incoming<'a> {
    /// Reads a server frame; an error frame is an `Err`.
    pub(crate) fn parse(text: &'a str) -> Result<Self, Error> {
        let incoming: Self = serde_json::from_str(text)?;
        match incoming.error {
            Some(error) => Err(format!("the server refused a frame: {}", error.get()).into()),
            None => Ok(incoming),
        }
    }

    /// The text of a `receivedMessage`.
    pub(crate) fn received_text(&self) -> Option<&str> {
        if self.message_name.as_deref() != Some("receivedMessage") {
            return None;
        }
        self.payload.as_ref()?.text.as_deref()
    }

    /// The send time ([`now_us`]) at the start of a `receivedMessage`'s text,
    /// as the scenarios' posts carry it.
    pub(crate) fn sent_us(&self) -> Option<u64> {
        self.received_text()?.split(' ').next()?.parse().ok()
    }
}
