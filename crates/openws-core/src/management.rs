//! The management endpoints (configurapi's management server, yoctopus'
//! connection register), answered through [`Networks::respond`](crate::Networks::respond)
//! like every `/openws/` endpoint.
//!
//! - `GET /openws/connections`: every connection of the networks the token opens;
//! - `POST /openws/connections/{id}/messages` with `{"messageName", "payload"}`:
//!   pushed to that connection after validation against its role's schema;
//! - `DELETE /openws/connections/{id}?code=..&reason=..`: closes it after its
//!   queue drains, on whichever node of the backplane holds it.
//!
//! Every request needs `Authorization: Bearer <token>`, with the token given
//! to [`BindingsBuilder::management`](crate::BindingsBuilder::management).

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::hub::Listing;
use crate::runtime::{
    CloseFrame, ConnectionId, ErrorCode, FrameError, SendError, bearer_token, constant_time_eq,
};
use crate::{Bindings, EndpointRequest, EndpointResponse};

/// Where the management endpoints live, below the app's prefix.
pub const PATH: &str = "/openws/connections";

/// The route of [`PATH`] below `/openws/`.
const ROUTE: &str = "connections";

/// Whether `route` (the path after `{prefix}/openws/`) is a management endpoint.
pub(crate) fn owns(route: &str) -> bool {
    route
        .strip_prefix(ROUTE)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Answers a management request for the networks in `mounted`; `None` when
/// none of them has the management endpoints on (the path is not served).
pub(crate) async fn respond<'b>(
    mounted: impl IntoIterator<Item = &'b Bindings>,
    request: &EndpointRequest,
) -> Option<EndpointResponse> {
    let managed: Vec<&Bindings> = mounted
        .into_iter()
        .filter(|b| b.management_token().is_some())
        .collect();
    if managed.is_empty() {
        return None;
    }
    let presented = bearer_token(&request.headers);
    let opened: Vec<&Bindings> = managed
        .into_iter()
        .filter(|b| {
            let expected = b.management_token().map(str::as_bytes);
            presented
                .zip(expected)
                .is_some_and(|(p, e)| constant_time_eq(p.as_bytes(), e))
        })
        .collect();
    if opened.is_empty() {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "a valid management bearer token is required",
        ));
    }
    let rest = &request.route[ROUTE.len()..];
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    Some(match (&request.method, segments.as_slice()) {
        (&Method::GET, [""]) => list(&opened).await,
        (&Method::POST, [id, "messages"]) => match id.parse() {
            Ok(id) => push(&opened, id, &request.body).await,
            Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        },
        (&Method::DELETE, [id]) => match id.parse() {
            Ok(id) => close(&opened, id, request.query.as_deref()).await,
            Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        },
        (_, [""] | [_, "messages"] | [_]) => {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => error(StatusCode::NOT_FOUND, "no such management endpoint"),
    })
}

async fn list(networks: &[&Bindings]) -> EndpointResponse {
    let mut all = Listing::default();
    for bindings in networks {
        match bindings.hub().list(None).await {
            Ok(listing) => {
                all.connections.extend(listing.connections);
                all.unanswered_nodes.extend(listing.unanswered_nodes);
            }
            Err(e) => return error(StatusCode::BAD_GATEWAY, &e.to_string()),
        }
    }
    EndpointResponse::json(StatusCode::OK, &all)
}

/// The body of `POST /openws/connections/{id}/messages`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Push {
    message_name: String,
    #[serde(default)]
    payload: Value,
}

async fn push(networks: &[&Bindings], id: ConnectionId, body: &[u8]) -> EndpointResponse {
    let push: Push = match serde_json::from_slice(body) {
        Ok(push) => push,
        Err(e) => {
            let refused = FrameError::new(
                ErrorCode::BadFrame,
                format!("body is not `{{messageName, payload}}`: {e}"),
            );
            return EndpointResponse::json(StatusCode::BAD_REQUEST, &json!({ "error": refused }));
        }
    };
    for bindings in networks {
        let sent = bindings
            .hub()
            .send_to(id, &push.message_name, &push.payload)
            .await;
        let refused =
            |code, message: String| FrameError::new(code, message).about(&push.message_name);
        return match sent {
            Ok(()) => EndpointResponse::json(StatusCode::ACCEPTED, &json!({ "queued": true })),
            Err(SendError::UnknownConnection(_)) => continue,
            Err(SendError::InvalidPayload(frame_error)) => {
                EndpointResponse::json(StatusCode::BAD_REQUEST, &json!({ "error": frame_error }))
            }
            Err(SendError::UnknownMessage { role, message }) => EndpointResponse::json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": refused(ErrorCode::UnknownMessage, format!("role `{role}` accepts no message `{message}`")) }),
            ),
            Err(SendError::Disconnected) => error(
                StatusCode::NOT_FOUND,
                &format!("connection `{id}` has closed"),
            ),
            Err(other) => error(StatusCode::SERVICE_UNAVAILABLE, &other.to_string()),
        };
    }
    error(StatusCode::NOT_FOUND, &format!("no connection `{id}`"))
}

async fn close(networks: &[&Bindings], id: ConnectionId, query: Option<&str>) -> EndpointResponse {
    let mut code = CloseFrame::NORMAL;
    let mut reason = String::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "code" => match value.parse::<u16>() {
                Ok(c) if is_sendable_close_code(c) => code = c,
                _ => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "`code` must be 1000-1003, 1007-1014 or 3000-4999",
                    );
                }
            },
            "reason" if value.len() <= 123 => reason = value.into_owned(),
            "reason" => return error(StatusCode::BAD_REQUEST, "`reason` is at most 123 bytes"),
            _ => {}
        }
    }
    let frame = CloseFrame::new(code, reason);
    for bindings in networks {
        return match bindings.hub().close(id, frame.clone()).await {
            Ok(()) => EndpointResponse::json(StatusCode::ACCEPTED, &json!({ "closing": true })),
            Err(SendError::UnknownConnection(_)) => continue,
            Err(SendError::Disconnected) => error(
                StatusCode::NOT_FOUND,
                &format!("connection `{id}` has closed"),
            ),
            Err(other) => error(StatusCode::SERVICE_UNAVAILABLE, &other.to_string()),
        };
    }
    error(StatusCode::NOT_FOUND, &format!("no connection `{id}`"))
}

/// Close codes an endpoint may send (RFC 6455 section 7.4).
fn is_sendable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn error(status: StatusCode, message: &str) -> EndpointResponse {
    EndpointResponse::json(status, &json!({ "error": { "message": message } }))
}
