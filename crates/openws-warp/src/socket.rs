//! Upgrade and frame pump: warp's WebSocket plugged into a core session.

use std::convert::Infallible;
use std::future::ready;
use std::ops::Deref;

use futures_util::{SinkExt, StreamExt};
use openws_core::{Admission, Bindings, ConnectRequest, Inbound, Outgoing, serve_connection};
use warp::Filter;
use warp::filters::path::FullPath;
use warp::filters::ws::{Message, WebSocket, Ws};
use warp::reply::{Reply, Response};

/// The request as core sees it: path, query, headers and peer address.
pub(crate) fn connect_request()
-> impl Filter<Extract = (ConnectRequest,), Error = Infallible> + Clone {
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::path::full()
        .and(query)
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .map(|path: FullPath, query: String, headers, remote| {
            let uri = match query.as_str() {
                "" => path.as_str().parse(),
                query => format!("{}?{query}", path.as_str()).parse(),
            };
            ConnectRequest::new(uri.unwrap_or_default(), headers).with_remote_addr(remote)
        })
}

/// Runs the network's connect rule, then upgrades (or answers the refusal).
///
/// `upgrade` is already sized to the network's frame limit.
pub(crate) async fn upgrade(bindings: Bindings, upgrade: Ws, request: ConnectRequest) -> Response {
    match bindings.admit(request).await {
        Ok(admission) => upgrade
            .on_upgrade(move |socket| run(socket, bindings, admission))
            .into_response(),
        Err(rejection) => {
            warp::reply::with_status(rejection.message().to_owned(), rejection.status())
                .into_response()
        }
    }
}

/// A text message, read as `str` without a copy.
struct Text(Message);

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

async fn run(socket: WebSocket, bindings: Bindings, admission: Admission) {
    let (session, outbox) = bindings.session(admission);
    let (sink, stream) = socket.split();
    let inbound = stream.filter_map(|message| {
        ready(match message {
            Ok(message) if message.is_text() => Some(Ok(Inbound::Text(Text(message)))),
            Ok(message) if message.is_binary() => Some(Ok(Inbound::Binary(message.into_bytes()))),
            Ok(message) if message.is_close() => Some(Ok(Inbound::Close)),
            // tungstenite answers pings itself.
            Ok(_) => None,
            Err(error) if is_too_big(&error) => Some(Ok(Inbound::TooBig)),
            Err(error) => Some(Err(error)),
        })
    });
    // The pump only needs to know that a write failed, not why.
    let outbound = sink.sink_map_err(drop).with(|outgoing: Outgoing| {
        ready(match outgoing {
            // Core's frames are UTF-8 JSON; warp's `Message` takes text only
            // as a `String`, which costs one copy per frame.
            Outgoing::Text(bytes) => Ok(Message::text(String::from_utf8_lossy(&bytes))),
            Outgoing::Close(frame) => Ok(Message::close_with(frame.code, frame.reason)),
            _ => Err(()),
        })
    });
    serve_connection(session, outbox, inbound, outbound).await;
}

/// Whether warp refused a frame for exceeding the configured size.
fn is_too_big(error: &warp::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|error| matches!(error, tungstenite::Error::Capacity(_)))
}
