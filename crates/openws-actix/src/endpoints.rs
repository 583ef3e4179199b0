//! `{prefix}/openws/…`: the app-level endpoints of a [`Networks`], answered by
//! [`Networks::respond`].
//!
//! Every [`network`](crate::network) registers the same resource; actix
//! routes to the first one registered in the `App` (or `Scope`), and since
//! the networks of a prefix share one `Networks`, any of them answers the
//! same. Requests for other paths never reach it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Resource, web};
use futures_util::StreamExt;
use openws_core::{EndpointRequest, EndpointResponse, Networks};

use crate::http1;

/// The resource, below the scope's prefix.
const ROUTE: &str = "/openws/{route:.*}";

pub(crate) fn resource(networks: Networks) -> Resource {
    web::resource(ROUTE)
        .to(move |request: HttpRequest, body: web::Payload| answer(networks.clone(), request, body))
}

async fn answer(networks: Networks, request: HttpRequest, body: web::Payload) -> HttpResponse {
    let response = match endpoint_request(&request, body).await {
        Ok(request) => networks
            .respond(request)
            .await
            .unwrap_or_else(EndpointResponse::not_found),
        Err(response) => response,
    };
    let status =
        StatusCode::from_u16(response.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &response.headers {
        builder.append_header((name.as_str(), value.as_bytes()));
    }
    builder.body(response.body)
}

async fn endpoint_request(
    request: &HttpRequest,
    mut body: web::Payload,
) -> Result<EndpointRequest, EndpointResponse> {
    let route = request.match_info().query("route");
    let path = request.path();
    // The resource matched `{prefix}/openws/{route}`: what precedes is the scope's prefix.
    let prefix = path
        .strip_suffix(route)
        .and_then(|p| p.strip_suffix(EndpointRequest::ROOT))
        .or_else(|| path.find(EndpointRequest::ROOT).map(|end| &path[..end]))
        .unwrap_or_default();
    let method = http::Method::from_bytes(request.method().as_str().as_bytes())
        .map_err(|_| EndpointResponse::not_found())?;
    let mut endpoint = EndpointRequest::new(method, prefix, route);
    endpoint.query = Some(request.query_string())
        .filter(|query| !query.is_empty())
        .map(str::to_owned);
    // The Host header (or the URI's authority), as on every adapter:
    // `connection_info` would trust `Forwarded` and `X-Forwarded-Host` from any client.
    endpoint.authority = request.uri().authority().map(ToString::to_string);
    endpoint.tls = request.app_config().secure();
    endpoint.headers = http1::headers(request);
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| EndpointResponse::body_too_large())?;
        if bytes.len() + chunk.len() > EndpointRequest::MAX_BODY {
            return Err(EndpointResponse::body_too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    endpoint.body = bytes.freeze();
    Ok(endpoint)
}
