//! Upgrade and frame pump: axum's WebSocket plugged into a core session.

use std::future::ready;

use axum::extract::ws::{self, Message, Utf8Bytes, WebSocket};
use axum::extract::{ConnectInfo, Request, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use openws_core::{Admission, Bindings, ConnectRequest, Inbound, Outgoing, serve_connection};

/// Runs the network's connect rule, then upgrades (or answers the refusal).
pub(crate) async fn upgrade(
    bindings: Bindings,
    upgrade: WebSocketUpgrade,
    request: Request,
) -> Response {
    let remote = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    let (parts, _body) = request.into_parts();
    let connect = ConnectRequest::new(parts.uri, parts.headers).with_remote_addr(remote);
    match bindings.admit(connect).await {
        Ok(admission) => {
            let limit = bindings.config().max_frame_bytes;
            upgrade
                .max_message_size(limit)
                .max_frame_size(limit)
                .on_upgrade(move |socket| run(socket, bindings, admission))
        }
        Err(rejection) => (rejection.status(), rejection.message().to_owned()).into_response(),
    }
}

async fn run(socket: WebSocket, bindings: Bindings, admission: Admission) {
    let (session, outbox) = bindings.session(admission);
    let (sink, stream) = socket.split();
    let inbound = stream.filter_map(|message| {
        ready(match message {
            Ok(Message::Text(text)) => Some(Ok(Inbound::Text(text))),
            Ok(Message::Binary(data)) => Some(Ok(Inbound::Binary(data))),
            Ok(Message::Close(_)) => Some(Ok(Inbound::Close)),
            Ok(Message::Ping(_) | Message::Pong(_)) => None,
            Err(error) if is_too_big(&error) => Some(Ok(Inbound::TooBig)),
            Err(error) => Some(Err(error)),
        })
    });
    let outbound = sink.with(|outgoing: Outgoing| {
        ready(match outgoing {
            Outgoing::Text(bytes) => Utf8Bytes::try_from(bytes)
                .map(Message::Text)
                .map_err(axum::Error::new),
            Outgoing::Close(frame) => Ok(Message::Close(Some(ws::CloseFrame {
                code: frame.code,
                reason: frame.reason.into(),
            }))),
            _ => Err(axum::Error::new(
                "an outgoing frame this adapter cannot write",
            )),
        })
    });
    serve_connection(session, outbox, inbound, outbound).await;
}

/// Whether axum refused a frame for exceeding the configured size.
fn is_too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|error| matches!(error, tungstenite::Error::Capacity(_)))
}
