//! Upgrade and frame pump: an actix-ws session plugged into a core session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use futures_util::{SinkExt, StreamExt, stream};
use openws_core::{Admission, Bindings, ConnectRequest, Inbound, Outgoing, serve_connection};

/// Checks the handshake, runs the network's connect rule, then upgrades (or answers the refusal).
pub(crate) async fn upgrade(
    bindings: Bindings,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let (response, session, stream) = match actix_ws::handle(&request, body) {
        Ok(upgrade) => upgrade,
        Err(error) => return error.error_response(),
    };
    match bindings.admit(connect_request(&request)).await {
        Ok(admission) => {
            let limit = bindings.config().max_frame_bytes;
            let stream = stream
                .max_frame_size(limit)
                .aggregate_continuations()
                .max_continuation_size(limit);
            actix_web::rt::spawn(run(session, stream, bindings, admission));
            response
        }
        Err(rejection) => {
            let status = StatusCode::from_u16(rejection.status().as_u16())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            HttpResponse::build(status).body(rejection.message().to_owned())
        }
    }
}

/// The request as core sees it: actix-web is on `http` 0.2, core on `http` 1.
fn connect_request(request: &HttpRequest) -> ConnectRequest {
    let uri = request.uri().to_string().parse().unwrap_or_default();
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
                http::HeaderValue::from_bytes(value.as_bytes()).ok()?,
            ))
        })
        .collect();
    ConnectRequest::new(uri, headers).with_remote_addr(request.peer_addr())
}

async fn run(
    session: actix_ws::Session,
    stream: AggregatedMessageStream,
    bindings: Bindings,
    admission: Admission,
) {
    let (core_session, outbox) = bindings.session(admission);
    // actix-ws answers neither pings nor the closing handshake: the reader does.
    let inbound = stream::unfold(
        (stream, session.clone()),
        |(mut stream, mut session)| async {
            loop {
                let inbound = match stream.next().await? {
                    Ok(AggregatedMessage::Text(text)) => Ok(Inbound::Text(text)),
                    Ok(AggregatedMessage::Binary(data)) => Ok(Inbound::Binary(data)),
                    Ok(AggregatedMessage::Ping(data)) => {
                        let _ = session.pong(&data).await;
                        continue;
                    }
                    Ok(AggregatedMessage::Pong(_)) => continue,
                    Ok(AggregatedMessage::Close(reason)) => {
                        let _ = session.clone().close(reason).await;
                        Ok(Inbound::Close)
                    }
                    Err(error) if is_too_big(&error) => Ok(Inbound::TooBig),
                    Err(error) => Err(error),
                };
                return Some((inbound, (stream, session)));
            }
        },
    );
    let outbound = session.with(|outgoing: Outgoing| {
        std::future::ready(match outgoing {
            // Core's frames are UTF-8 JSON, so this conversion does not copy or fail.
            Outgoing::Text(bytes) => bytes
                .try_into()
                .map(actix_ws::Message::Text)
                .map_err(|_| actix_ws::Closed),
            Outgoing::Close(frame) => Ok(actix_ws::Message::Close(Some(CloseReason {
                code: CloseCode::from(frame.code),
                description: Some(frame.reason),
            }))),
            _ => Err(actix_ws::Closed),
        })
    });
    serve_connection(core_session, outbox, inbound, outbound).await;
}

/// Whether actix-ws refused a frame, or a fragmented message, for exceeding the configured size.
fn is_too_big(error: &ProtocolError) -> bool {
    // actix-ws reports an oversized fragmented message only by this message.
    const CONTINUATION_TOO_BIG: &str = "Exceeded maximum continuation size";
    match error {
        ProtocolError::Overflow => true,
        ProtocolError::Io(error) => error.to_string() == CONTINUATION_TOO_BIG,
        _ => false,
    }
}
