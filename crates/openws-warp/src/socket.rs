//! Upgrade and frame pump: the upgraded connection of a warp request plugged into a core session.
//!
//! warp's own `Ws` cannot size the socket's read buffer (tungstenite's
//! default is 128 KiB per connection), so the upgrade is finished here, on
//! the hyper upgrade warp leaves in the request, after warp's `ws()` filter
//! checked the handshake headers.

use std::convert::Infallible;
use std::future::ready;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use openws_core::{
    Admission, Bindings, ConnectRequest, Inbound, Outgoing, Rejection, serve_connection,
};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{self, Role, WebSocketConfig};
use warp::Filter;
use warp::filters::path::FullPath;
use warp::http::{HeaderValue, StatusCode, header};
use warp::reply::{Reply, Response};

use crate::serve::PeerAddr;

/// A WebSocket handshake request, checked by warp's `ws()` filter.
pub(crate) struct Handshake {
    key: HeaderValue,
    on_upgrade: Option<OnUpgrade>,
}

/// Matches a WebSocket handshake request.
pub(crate) fn handshake() -> impl Filter<Extract = (Handshake,), Error = warp::Rejection> + Clone {
    // Taken before `ws()`, which removes the upgrade from the request.
    warp::ext::optional::<OnUpgrade>()
        .and(warp::ws())
        .and(warp::header::value(header::SEC_WEBSOCKET_KEY.as_str()))
        .map(|on_upgrade, _checked: warp::ws::Ws, key| Handshake { key, on_upgrade })
}

/// The request as core sees it: path, query, headers and peer address.
pub(crate) fn connect_request()
-> impl Filter<Extract = (ConnectRequest,), Error = Infallible> + Clone {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::path::full()
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .and(warp::ext::optional::<PeerAddr>())
        .map(
            |path: FullPath, query: String, headers, remote: Option<_>, peer: Option<PeerAddr>| {
                // `warp::addr::remote` is empty under `openws_warp::serve`, which records `PeerAddr`.
                let remote = remote.or(peer.map(|peer| peer.0));
                let uri = match query.as_str() {
                    "" => path.as_str().parse(),
                    query => format!("{}?{query}", path.as_str()).parse(),
                };
                ConnectRequest::new(uri.unwrap_or_default(), headers).with_remote_addr(remote)
            },
        )
}

/// Runs the network's admission, then upgrades (or answers the refusal).
pub(crate) async fn upgrade(
    bindings: Bindings,
    handshake: Handshake,
    request: ConnectRequest,
) -> Response {
    if let Err(rejection) = openws_core::check_upgrade(request.headers()) {
        return refuse(rejection);
    }
    let admission = match bindings.admit(request).await {
        Ok(admission) => admission,
        Err(rejection) => return refuse(rejection),
    };
    let Some(on_upgrade) = handshake.on_upgrade else {
        return warp::reply::with_status(
            "this connection cannot be upgraded",
            StatusCode::BAD_REQUEST,
        )
        .into_response();
    };
    let mut response = Response::default();
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = derive_accept_key(handshake.key.as_bytes()).parse() {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(protocol) = admission.subprotocol().and_then(|p| p.parse().ok()) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    let config = socket_config(&bindings);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                run(socket, bindings, admission).await;
            }
            Err(error) => tracing::debug!(%error, "WebSocket upgrade failed"),
        }
    });
    response
}

fn refuse(rejection: Rejection) -> Response {
    warp::reply::with_status(rejection.message().to_owned(), rejection.status()).into_response()
}

/// The socket's limits and buffers, from the network's session config.
fn socket_config(bindings: &Bindings) -> WebSocketConfig {
    let config = bindings.config();
    WebSocketConfig::default()
        .max_message_size(Some(config.max_frame_bytes))
        .max_frame_size(Some(config.max_frame_bytes))
        .read_buffer_size(config.read_buffer_bytes)
        .write_buffer_size(config.write_buffer_bytes)
}

async fn run<S>(socket: WebSocketStream<S>, bindings: Bindings, admission: Admission)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (session, outbox) = bindings.session(admission);
    let (sink, stream) = socket.split();
    let inbound = stream.filter_map(|message| {
        ready(match message {
            Ok(Message::Text(text)) => Some(Ok(Inbound::Text(text))),
            Ok(Message::Binary(data)) => Some(Ok(Inbound::Binary(data))),
            Ok(Message::Close(_)) => Some(Ok(Inbound::Close)),
            // tungstenite answers pings itself.
            Ok(Message::Ping(_)) => Some(Ok(Inbound::Ping)),
            Ok(Message::Pong(_)) => Some(Ok(Inbound::Pong)),
            Ok(Message::Frame(_)) => None,
            Err(error) => Some(openws_hyper::read_error(error)),
        })
    });
    // The pump only needs to know that a write failed, not why.
    let outbound = sink.sink_map_err(drop).with(|outgoing: Outgoing| {
        ready(match outgoing {
            // Core's frames are UTF-8 JSON, so this conversion does not copy or fail.
            Outgoing::Text(bytes) => bytes.try_into().map(Message::Text).map_err(drop),
            Outgoing::Close(frame) => Ok(Message::Close(Some(protocol::CloseFrame {
                code: CloseCode::from(frame.code),
                reason: frame.reason.into(),
            }))),
            Outgoing::Ping => Ok(Message::Ping(Default::default())),
            _ => Err(()),
        })
    });
    serve_connection(session, outbox, inbound, outbound).await;
}
