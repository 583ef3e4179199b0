//! `{prefix}/openws/…`: the app-level endpoints of a [`Networks`], answered by
//! [`Networks::respond`].
//!
//! Every `openws` call registers the same route. axum lets several routers
//! register one path without a conflict in one case only: a method router
//! with no method of its own, whose default fallback answers every method.
//! Registering it again (or merging a router that has it) keeps one of them;
//! since every network of a prefix shares one `Networks`, any of them answers
//! the same. Requests for other paths never reach it.

use axum::body::{Body, to_bytes};
use axum::extract::{NestedPath, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use openws_core::{EndpointRequest, EndpointResponse, Networks};

/// The route, below the prefix.
pub(crate) const ROUTE: &str = "/openws/{*route}";

pub(crate) fn route<S>(networks: Networks) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    MethodRouter::new().layer(from_fn_with_state(networks, answer))
}

/// The inner service (the router's 405) is never called.
async fn answer(State(networks): State<Networks>, request: Request, _: Next) -> Response {
    let response = match endpoint_request(request).await {
        Ok(request) => networks
            .respond(request)
            .await
            .unwrap_or_else(EndpointResponse::not_found),
        Err(response) => response,
    };
    (response.status, response.headers, Body::from(response.body)).into_response()
}

async fn endpoint_request(request: Request) -> Result<EndpointRequest, EndpointResponse> {
    let (parts, body) = request.into_parts();
    let prefix = parts
        .extensions
        .get::<NestedPath>()
        .map_or("", |nested| nested.as_str().trim_end_matches('/'));
    // Under `nest`, axum strips the prefix from the URI before this route sees it.
    let route = parts
        .uri
        .path()
        .strip_prefix(EndpointRequest::ROOT)
        .unwrap_or_default();
    let mut request = EndpointRequest::new(parts.method, prefix, route);
    request.query = parts.uri.query().map(str::to_owned);
    request.authority = parts.uri.authority().map(ToString::to_string);
    request.tls = parts.extensions.get::<openws_hyper::OverTls>().is_some();
    request.headers = parts.headers;
    request.body = to_bytes(body, EndpointRequest::MAX_BODY)
        .await
        .map_err(|_| EndpointResponse::body_too_large())?;
    Ok(request)
}
