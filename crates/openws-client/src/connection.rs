//! A connection to a network endpoint: a writer shared by every handle, and a
//! reader task that hands answers to their requests and everything else to the inbox.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::error::{ClientError, CloseInfo};
use crate::frame::{Frame, MessageFrame, Outgoing};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the handshake and each request may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many unread frames the inbox holds before the client stops reading the socket.
pub const DEFAULT_INBOX_CAPACITY: usize = 1024;

/// Configures a connection; made by [`Client::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    url: String,
    role: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
    inbox_capacity: usize,
}

impl ClientBuilder {
    /// Sends frames as `role` (every frame's `fromRole`).
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = role.into();
        self
    }

    /// Adds a header to the upgrade request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `Authorization: Bearer <token>` to the upgrade request.
    pub fn bearer_token(self, token: impl fmt::Display) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// Bounds the handshake and each [`Client::request`] (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many unread frames [`Client::recv`] may have waiting (default
    /// [`DEFAULT_INBOX_CAPACITY`]). When the inbox is full the client stops
    /// reading the socket until `recv` makes room, so the server's own
    /// backpressure applies, and answers to requests wait behind it too.
    ///
    /// # Panics
    /// If `capacity` is zero.
    #[track_caller]
    pub fn inbox_capacity(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "the inbox holds at least one frame");
        self.inbox_capacity = capacity;
        self
    }

    /// Opens the connection. A refused upgrade is [`ClientError::Refused`] with its HTTP status.
    pub async fn connect(self) -> Result<Client, ClientError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| ClientError::InvalidRequest(error.to_string()))?;
        for (name, value) in &self.headers {
            let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|error| {
                ClientError::InvalidRequest(format!("header `{name}`: {error}"))
            })?;
            let value = http::HeaderValue::from_str(value).map_err(|error| {
                ClientError::InvalidRequest(format!("header `{name}`: {error}"))
            })?;
            request.headers_mut().append(name, value);
        }
        let connect = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (socket, _response) = tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| ClientError::Timeout(self.timeout))?
            .map_err(connect_error)?;
        Ok(Client::start(socket, self))
    }
}

/// A connection to an OpenWS endpoint, holding one role.
///
/// [`send`](Client::send) and [`request`](Client::request) take `&self`; for
/// sending from other tasks, clone a [`Sender`] with [`Client::sender`].
/// Every frame that does not answer a pending request waits in the inbox for
/// [`recv`](Client::recv).
///
/// ```no_run
/// use openws_client::{Client, Frame};
/// use serde_json::json;
///
/// # async fn run() -> Result<(), openws_client::ClientError> {
/// let mut client = Client::builder("ws://127.0.0.1:8082/chat", "client").connect().await?;
/// client.send("createRoom", &json!({"userId": "ann", "roomId": "lobby"})).await?;
/// if let Some(Frame::Message(frame)) = client.recv().await {
///     println!("{}: {}", frame.message_name, frame.payload);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Client {
    sender: Sender,
    inbox: mpsc::Receiver<Frame>,
}

impl Client {
    /// A builder for a connection to `url` (`ws://host:port/path`) as `role`.
    pub fn builder(url: impl Into<String>, role: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            role: role.into(),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            inbox_capacity: DEFAULT_INBOX_CAPACITY,
        }
    }

    fn start(socket: Socket, builder: ClientBuilder) -> Self {
        let (sink, stream) = socket.split();
        let (inbox_tx, inbox) = mpsc::channel(builder.inbox_capacity);
        let routing = Arc::new(Routing::new());
        let reader = tokio::spawn(read(stream, Arc::clone(&routing), inbox_tx));
        let shared = Shared {
            role: builder.role,
            timeout: builder.timeout,
            sink: tokio::sync::Mutex::new(sink),
            next_id: AtomicU64::new(1),
            routing,
            reader: reader.abort_handle(),
        };
        Self {
            sender: Sender {
                shared: Arc::new(shared),
            },
            inbox,
        }
    }

    /// The role this client holds.
    pub fn role(&self) -> &str {
        self.sender.role()
    }

    /// A clonable handle that sends on this connection.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Sends message `message_name` with `payload` (see [`Sender::send`]).
    pub async fn send<P: Serialize + ?Sized>(
        &self,
        message_name: &str,
        payload: &P,
    ) -> Result<(), ClientError> {
        self.sender.send(message_name, payload).await
    }

    /// Sends a request and waits for its answer (see [`Sender::request`]).
    pub async fn request<P: Serialize + ?Sized>(
        &self,
        message_name: &str,
        payload: &P,
    ) -> Result<MessageFrame, ClientError> {
        self.sender.request(message_name, payload).await
    }

    /// The next frame that answers no pending request: messages, error frames
    /// of plain sends, and frames that answer a request after its first answer.
    /// `None` once the connection is closed and every frame has been read.
    pub async fn recv(&mut self) -> Option<Frame> {
        self.inbox.recv().await
    }

    /// Closes the connection normally (close code 1000).
    pub async fn close(&self) -> Result<(), ClientError> {
        self.sender.close().await
    }

    /// The server's close frame, once the connection is closed.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.sender.close_info()
    }
}

/// Sends on a connection; clone it freely. The connection stays open while
/// the [`Client`] or any `Sender` lives.
#[derive(Clone)]
pub struct Sender {
    shared: Arc<Shared>,
}

impl Sender {
    /// The role this connection holds.
    pub fn role(&self) -> &str {
        &self.shared.role
    }

    /// Sends `{"fromRole", "messageName", "payload"}`. Any answer (an error
    /// frame, say) arrives through [`Client::recv`].
    pub async fn send<P: Serialize + ?Sized>(
        &self,
        message_name: &str,
        payload: &P,
    ) -> Result<(), ClientError> {
        self.write(message_name, payload, None).await
    }

    /// Sends a frame with a fresh `id` and waits, up to the client's timeout,
    /// for the first frame whose `replyTo` is that id. An error frame answering
    /// it is [`ClientError::Server`]; later frames answering the same id (the
    /// rest of a stream) go to [`Client::recv`].
    pub async fn request<P: Serialize + ?Sized>(
        &self,
        message_name: &str,
        payload: &P,
    ) -> Result<MessageFrame, ClientError> {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let answer = self.shared.routing.expect(id);
        if let Err(error) = self.write(message_name, payload, Some(id)).await {
            self.shared.routing.forget(id);
            return Err(error);
        }
        match tokio::time::timeout(self.shared.timeout, answer).await {
            Ok(Ok(frame)) => frame.into_message(),
            Ok(Err(_)) => Err(ClientError::Closed(self.close_info())),
            Err(_) => {
                self.shared.routing.forget(id);
                Err(ClientError::Timeout(self.shared.timeout))
            }
        }
    }

    /// Closes the connection normally (close code 1000).
    pub async fn close(&self) -> Result<(), ClientError> {
        let result = self.shared.sink.lock().await.close().await;
        match result {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(())
            }
            Err(error) => Err(ClientError::WebSocket(Box::new(error))),
        }
    }

    /// The server's close frame, once the connection is closed.
    pub fn close_info(&self) -> Option<CloseInfo> {
        self.shared.routing.close_info()
    }

    async fn write<P: Serialize + ?Sized>(
        &self,
        message_name: &str,
        payload: &P,
        id: Option<u64>,
    ) -> Result<(), ClientError> {
        let frame = Outgoing {
            from_role: &self.shared.role,
            message_name,
            payload,
            id,
        };
        let text = serde_json::to_string(&frame).map_err(ClientError::Encode)?;
        let result = self
            .shared
            .sink
            .lock()
            .await
            .send(Message::text(text))
            .await;
        result.map_err(|error| match error {
            tungstenite::Error::ConnectionClosed
            | tungstenite::Error::AlreadyClosed
            | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => {
                ClientError::Closed(self.close_info())
            }
            error => ClientError::WebSocket(Box::new(error)),
        })
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("role", &self.shared.role)
            .finish_non_exhaustive()
    }
}

/// What every handle of one connection shares.
struct Shared {
    role: String,
    timeout: Duration,
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    next_id: AtomicU64,
    routing: Arc<Routing>,
    reader: AbortHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last handle is gone: stop reading, which drops the socket.
        self.reader.abort();
    }
}

/// Shared by the handles and the reader: who waits for which id, and how the connection ended.
struct Routing {
    /// Requests waiting for their answer; `None` once the reader has stopped.
    pending: Mutex<Option<HashMap<u64, oneshot::Sender<Frame>>>>,
    close: Mutex<Option<CloseInfo>>,
}

type Pending = Option<HashMap<u64, oneshot::Sender<Frame>>>;

impl Routing {
    fn new() -> Self {
        Self {
            pending: Mutex::new(Some(HashMap::new())),
            close: Mutex::new(None),
        }
    }

    /// Registers a request; its receiver fails at once if the connection has ended.
    fn expect(&self, id: u64) -> oneshot::Receiver<Frame> {
        let (tx, rx) = oneshot::channel();
        if let Some(pending) = self.pending().as_mut() {
            pending.insert(id, tx);
        }
        rx
    }

    fn forget(&self, id: u64) {
        if let Some(pending) = self.pending().as_mut() {
            pending.remove(&id);
        }
    }

    /// Hands `frame` to the request it answers; gives it back if it answers none.
    fn deliver(&self, frame: Frame) -> Option<Frame> {
        let Some(id) = frame.reply_to().and_then(Value::as_u64) else {
            return Some(frame);
        };
        let waiter = self
            .pending()
            .as_mut()
            .and_then(|pending| pending.remove(&id));
        match waiter {
            Some(waiter) => waiter.send(frame).err(),
            None => Some(frame),
        }
    }

    /// The reader stopped: every waiting request fails with `Closed`.
    fn end(&self) {
        self.pending().take();
    }

    fn close_info(&self) -> Option<CloseInfo> {
        self.close.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn closed(&self, info: Option<CloseInfo>) {
        *self.close.lock().unwrap_or_else(|e| e.into_inner()) = info;
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads the socket until it closes; requests still waiting then fail with `Closed`.
async fn read(mut stream: SplitStream<Socket>, routing: Arc<Routing>, inbox: mpsc::Sender<Frame>) {
    while let Some(message) = stream.next().await {
        let frame = match message {
            Ok(Message::Text(text)) => Frame::parse(&text),
            Ok(Message::Binary(_)) => Frame::malformed("", "the server sent a binary frame"),
            Ok(Message::Close(close)) => {
                routing.closed(close.map(|close| CloseInfo {
                    code: close.code.into(),
                    reason: close.reason.to_string(),
                }));
                continue;
            }
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
            Err(error) => {
                tracing::debug!(%error, "openws client connection ended");
                break;
            }
        };
        if let Some(frame) = routing.deliver(frame) {
            // A client that dropped its inbox still gets answers to its requests.
            let _ = inbox.send(frame).await;
        }
    }
    routing.end();
}

fn connect_error(error: tungstenite::Error) -> ClientError {
    match error {
        tungstenite::Error::Http(response) => ClientError::Refused {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .into_owned(),
        },
        tungstenite::Error::Url(error) => ClientError::InvalidRequest(error.to_string()),
        error => ClientError::WebSocket(Box::new(error)),
    }
}
