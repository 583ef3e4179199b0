//! Upgrade and frame pump: axum's WebSocket plugged into a core session.

use std::future::ready;

use axum::extract::ws::{self, Message, Utf8Bytes, WebSocket};
use axum::extract::{ConnectInfo, Request, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use openws_core::{
    Admission, Bindings, ConnectRequest, Inbound, Outgoing, Rejection, serve_connection,
};

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
    if let Err(rejection) = openws_core::check_upgrade(&parts.headers) {
        return refuse(rejection);
    }
    let connect = ConnectRequest::new(parts.uri, parts.headers).with_remote_addr(remote);
    match bindings.admit(connect).await {
        Ok(admission) => {
            let config = bindings.config();
            let mut upgrade = upgrade
                .max_message_size(config.max_frame_bytes)
                .max_frame_size(config.max_frame_bytes)
                .read_buffer_size(config.read_buffer_bytes)
                .write_buffer_size(config.write_buffer_bytes);
            if let Some(protocol) = admission.subprotocol().and_then(|p| p.parse().ok()) {
                upgrade.set_selected_protocol(protocol);
            }
            upgrade.on_upgrade(move |socket| run(socket, bindings, admission))
        }
        Err(rejection) => refuse(rejection),
    }
}

fn refuse(rejection: Rejection) -> Response {
    (rejection.status(), rejection.message().to_owned()).into_response()
}

async fn run(socket: WebSocket, bindings: Bindings, admission: Admission) {
    let (session, outbox) = bindings.session(admission);
    let (sink, stream) = socket.split();
    let inbound = stream.filter_map(|message| {
        ready(match message {
            Ok(Message::Text(text)) => Some(Ok(Inbound::Text(text))),
            Ok(Message::Binary(data)) => Some(Ok(Inbound::Binary(data))),
            Ok(Message::Close(_)) => Some(Ok(Inbound::Close)),
            // axum answers pings itself.
            Ok(Message::Ping(_)) => Some(Ok(Inbound::Ping)),
            Ok(Message::Pong(_)) => Some(Ok(Inbound::Pong)),
            Err(error) => Some(openws_hyper::read_error(error)),
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
            Outgoing::Ping => Ok(Message::Ping(Default::default())),
            _ => Err(axum::Error::new(
                "an outgoing frame this adapter cannot write",
            )),
        })
    });
    serve_connection(session, outbox, inbound, outbound).await;
}
