//! Upgrade and frame pump: an actix-ws session plugged into a core session.

use std::io;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use futures_util::{SinkExt, Stream, StreamExt, stream};
use openws_core::{
    Admission, Bindings, CloseFrame, ConnectRequest, Inbound, Outgoing, Rejection, serve_connection,
};

use crate::guard::{FrameGuard, Verdict, Violation, is_valid_close_code};

/// Checks the handshake, runs the network's connect rule, then upgrades (or answers the refusal).
pub(crate) async fn upgrade(
    bindings: Bindings,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let connect = connect_request(&request);
    // actix-ws also accepts versions 7 and 8, and any key.
    if let Err(rejection) = openws_core::check_upgrade(connect.headers()) {
        return refuse(&rejection);
    }
    let limit = bindings.config().max_frame_bytes;
    let verdict = Verdict::default();
    let body = match guarded(&request, body, limit, Rc::clone(&verdict)) {
        Ok(body) => body,
        Err(error) => return error.error_response(),
    };
    let (mut response, session, stream) = match actix_ws::handle(&request, body) {
        Ok(upgrade) => upgrade,
        Err(error) => return error.error_response(),
    };
    match bindings.admit(connect).await {
        Ok(admission) => {
            let stream = stream
                .max_frame_size(limit)
                .aggregate_continuations()
                .max_continuation_size(limit);
            if let Some(protocol) = admission.subprotocol().and_then(|p| p.parse().ok()) {
                response
                    .headers_mut()
                    .insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
            }
            actix_web::rt::spawn(run(session, stream, verdict, bindings, admission));
            response
        }
        Err(rejection) => refuse(&rejection),
    }
}

fn refuse(rejection: &Rejection) -> HttpResponse {
    let status = StatusCode::from_u16(rejection.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).body(rejection.message().to_owned())
}

/// `body` behind a [`FrameGuard`] (see `guard.rs` for why), as actix-ws takes it.
fn guarded(
    request: &HttpRequest,
    body: web::Payload,
    limit: usize,
    verdict: Verdict,
) -> Result<web::Payload, actix_web::Error> {
    let mut payload = dev::Payload::from(
        Box::pin(FrameGuard::new(body, limit, verdict)) as Pin<Box<dyn Stream<Item = _>>>
    );
    web::Payload::from_request(request, &mut payload).into_inner()
}

/// The request as core sees it (headers converted by `http1`).
fn connect_request(request: &HttpRequest) -> ConnectRequest {
    let uri = request.uri().to_string().parse().unwrap_or_default();
    ConnectRequest::new(uri, crate::http1::headers(request)).with_remote_addr(request.peer_addr())
}

async fn run(
    session: actix_ws::Session,
    stream: AggregatedMessageStream,
    verdict: Verdict,
    bindings: Bindings,
    admission: Admission,
) {
    let (core_session, outbox) = bindings.session(admission);
    // actix-ws answers neither pings nor the closing handshake: the reader does.
    let inbound = stream::unfold(
        (stream, session.clone(), verdict),
        |(mut stream, mut session, verdict)| async {
            let Some(message) = stream.next().await else {
                // The guard ends the payload at a violation: report it last.
                let violation = verdict.take()?;
                return Some((Ok(guard_close(violation)), (stream, session, verdict)));
            };
            let inbound = match message {
                Ok(AggregatedMessage::Text(text)) => Ok(Inbound::Text(text)),
                Ok(AggregatedMessage::Binary(data)) => Ok(Inbound::Binary(data)),
                Ok(AggregatedMessage::Ping(data)) => {
                    let _ = session.pong(&data).await;
                    Ok(Inbound::Ping)
                }
                Ok(AggregatedMessage::Pong(_)) => Ok(Inbound::Pong),
                Ok(AggregatedMessage::Close(Some(reason)))
                    if !is_valid_close_code(reason.code.into()) =>
                {
                    Ok(protocol_error("invalid close code"))
                }
                Ok(AggregatedMessage::Close(reason)) => {
                    let _ = session.clone().close(reason).await;
                    Ok(Inbound::Close)
                }
                Err(error) => read_error(error),
            };
            Some((inbound, (stream, session, verdict)))
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
            Outgoing::Ping => Ok(actix_ws::Message::Ping(Default::default())),
            _ => Err(actix_ws::Closed),
        })
    });
    serve_connection(core_session, outbox, inbound, outbound).await;
}

fn guard_close<T>(violation: Violation) -> Inbound<T> {
    match violation {
        Violation::TooBig => Inbound::TooBig,
        Violation::Protocol(reason) => protocol_error(reason),
    }
}

fn protocol_error<T>(reason: impl Into<String>) -> Inbound<T> {
    Inbound::Violation(CloseFrame::new(CloseFrame::PROTOCOL_ERROR, reason))
}

/// What the pump makes of an actix-ws error: a size or protocol violation to
/// close with, or (an I/O error) a socket that failed.
fn read_error<T>(error: ProtocolError) -> Result<Inbound<T>, ProtocolError> {
    // actix-ws reports an oversized fragmented message only by this message.
    const CONTINUATION_TOO_BIG: &str = "Exceeded maximum continuation size";
    match &error {
        ProtocolError::Overflow => Ok(Inbound::TooBig),
        // actix-ws's only `InvalidData`: a text message that is not UTF-8.
        ProtocolError::Io(io) if io.kind() == io::ErrorKind::InvalidData => Ok(Inbound::Violation(
            CloseFrame::new(CloseFrame::INVALID_DATA, "text is not valid UTF-8"),
        )),
        ProtocolError::Io(io) if io.to_string() == CONTINUATION_TOO_BIG => Ok(Inbound::TooBig),
        ProtocolError::Io(_) => Err(error),
        violation => Ok(protocol_error(violation.to_string())),
    }
}
