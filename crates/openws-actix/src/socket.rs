//! Upgrade and frame pump: the request payload and the 101 response's body
//! plugged into a core session.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use openws_core::{Admission, Bindings, ConnectRequest, Rejection, serve_connection};

use crate::inbound::Reader;
use crate::outbound::{Outlet, pipe};

/// Checks the handshake, runs the network's connect rule, then upgrades (or answers the refusal).
pub(crate) async fn upgrade(
    bindings: Bindings,
    request: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let connect = connect_request(&request);
    // actix-http also accepts versions 7 and 8, and any key.
    if let Err(rejection) = openws_core::check_upgrade(connect.headers()) {
        return refuse(&rejection);
    }
    let mut response = match actix_http::ws::handshake(request.head()) {
        Ok(response) => response,
        Err(error) => return actix_http::Response::from(error).into(),
    };
    match bindings.admit(connect).await {
        Ok(admission) => {
            let protocol = admission.subprotocol();
            if let Some(protocol) = protocol.and_then(|p| header::HeaderValue::from_str(p).ok()) {
                response.insert_header((header::SEC_WEBSOCKET_PROTOCOL, protocol));
            }
            let config = bindings.config();
            let (outlet, frames) = pipe(config.write_buffer_bytes);
            let reader = Reader::new(body, config.max_frame_bytes, outlet.clone());
            actix_web::rt::spawn(run(reader, outlet, bindings, admission));
            HttpResponse::from(response.body(frames)).map_into_boxed_body()
        }
        Err(rejection) => refuse(&rejection),
    }
}

fn refuse(rejection: &Rejection) -> HttpResponse {
    let status = StatusCode::from_u16(rejection.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).body(rejection.message().to_owned())
}

/// The request as core sees it (headers converted by `http1`).
fn connect_request(request: &HttpRequest) -> ConnectRequest {
    let uri = request.uri().to_string().parse().unwrap_or_default();
    ConnectRequest::new(uri, crate::http1::headers(request)).with_remote_addr(request.peer_addr())
}

/// Runs the session; the response body ends once the pump lets go of the outlet.
async fn run(reader: Reader, outlet: Outlet, bindings: Bindings, admission: Admission) {
    let (session, outbox) = bindings.session(admission);
    // Boxed: the pump's future would hold the reader two or three times over
    // (async fns keep their arguments beside the locals they move into).
    serve_connection(session, outbox, Box::pin(reader), outlet).await;
}
