//! actix-web is on `http` 0.2, core on `http` 1: conversions at the edge.

use actix_web::HttpRequest;

/// The request's headers as core sees them.
pub(crate) fn headers(request: &HttpRequest) -> http::HeaderMap {
    request
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((
                http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?,
                http::HeaderValue::from_bytes(value.as_bytes()).ok()?,
            ))
        })
        .collect()
}
