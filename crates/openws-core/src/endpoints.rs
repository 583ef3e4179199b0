//! The app-level HTTP endpoints under `{prefix}/openws/`, free of any web framework.
//!
//! Every adapter routes each request under `{prefix}/openws/` (any method) to
//! [`Networks::respond`], which answers the paths it owns and returns `None`
//! for the others. New endpoints are cases of that one function.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use serde::Serialize;

use crate::{MountedNetwork, Networks, management, viewer};

/// A request to an app-level OpenWS endpoint, as an adapter hands it to
/// [`Networks::respond`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EndpointRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path the endpoints are served under: `""` at the root, `"/api"`
    /// under a nested router, scope or path filter.
    pub prefix: String,
    /// The path after `{prefix}/openws/`, e.g. `spec.json`.
    pub route: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body, at most [`EndpointRequest::MAX_BODY`] bytes.
    pub body: Bytes,
    /// The `host[:port]` the request was addressed to, when the framework
    /// knows better than the `Host` header (e.g. from `Forwarded`).
    pub authority: Option<String>,
    /// Whether the request came over TLS: the spec then lists `wss` endpoints.
    pub tls: bool,
}

impl EndpointRequest {
    /// Where the endpoints live, below the prefix.
    pub const ROOT: &str = "/openws/";

    /// The largest body adapters read; a larger one is answered with 413.
    pub const MAX_BODY: usize = 64 * 1024;

    /// A request for `route` (the path after `{prefix}/openws/`), with no
    /// query, headers or body yet.
    pub fn new(method: Method, prefix: impl Into<String>, route: impl Into<String>) -> Self {
        Self {
            method,
            prefix: prefix.into(),
            route: route.into(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            authority: None,
            tls: false,
        }
    }

    /// The first value of query parameter `key`, percent-decoded.
    pub fn query_value(&self, key: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    /// The `host[:port]` the request was addressed to: [`authority`](Self::authority)
    /// when set, else the `Host` header.
    pub fn host(&self) -> Option<&str> {
        self.authority.as_deref().or_else(|| {
            self.headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
        })
    }
}

/// The answer to an [`EndpointRequest`]; adapters copy it into their response type.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EndpointResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers, `Content-Type` included.
    pub headers: HeaderMap,
    /// The response body.
    pub body: Bytes,
}

impl EndpointResponse {
    /// `value` as a JSON body.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::new(status, "application/json", body.into()),
            Err(error) => {
                tracing::error!(%error, "an endpoint's answer does not serialize");
                Self::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }

    /// A plain-text body.
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self::new(status, "text/plain; charset=utf-8", text.into().into())
    }

    /// A body of the given content type.
    pub fn new(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self {
            status,
            headers,
            body,
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// 413: the body exceeds [`EndpointRequest::MAX_BODY`].
    pub fn body_too_large() -> Self {
        Self::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request bodies are limited to {} bytes",
                EndpointRequest::MAX_BODY
            ),
        )
    }

    /// 404 for a path under `/openws/` that no endpoint owns.
    pub fn not_found() -> Self {
        Self::text(StatusCode::NOT_FOUND, "no such OpenWS endpoint")
    }

    fn method_not_allowed(allow: &'static str) -> Self {
        Self::text(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("this endpoint answers {allow} only"),
        )
        .with_header(header::ALLOW, HeaderValue::from_static(allow))
    }
}

impl Networks {
    /// Where the spec document is served, below the prefix.
    pub const SPEC_PATH: &str = "/openws/spec.json";

    /// Answers an app-level endpoint, or `None` when `request.route` is not
    /// one (the adapter then answers 404 or lets other routes try):
    ///
    /// | method | route | answer |
    /// |---|---|---|
    /// | `GET` | `spec.json` | the [`document`](Self::document) of every network, endpoints under the prefix |
    /// | `GET` | `ui` | the [`viewer`](crate::viewer) page, when [`with_viewer`](Self::with_viewer) was called |
    /// | `GET`, `POST`, `DELETE` | `connections…` | the [`management`](crate::management) endpoints of the networks that turned them on |
    ///
    /// ```
    /// use http::{Method, StatusCode};
    /// use openws_core::{EndpointRequest, Networks};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let networks = Networks::new();
    /// let spec = networks.respond(EndpointRequest::new(Method::GET, "", "spec.json")).await;
    /// assert_eq!(spec.unwrap().status, StatusCode::OK);
    /// let other = networks.respond(EndpointRequest::new(Method::GET, "", "nope")).await;
    /// assert!(other.is_none());
    /// # });
    /// ```
    pub async fn respond(&self, request: EndpointRequest) -> Option<EndpointResponse> {
        let spec_route = &Self::SPEC_PATH[EndpointRequest::ROOT.len()..];
        let response = match request.route.as_str() {
            route if route == spec_route => match request.method {
                Method::GET | Method::HEAD => EndpointResponse::json(
                    StatusCode::OK,
                    &self.document(&request.prefix, request.host(), request.tls),
                ),
                _ => EndpointResponse::method_not_allowed("GET, HEAD"),
            },
            route
                if self.serves_viewer()
                    && route == &viewer::PATH[EndpointRequest::ROOT.len()..] =>
            {
                match request.method {
                    Method::GET | Method::HEAD => EndpointResponse::new(
                        StatusCode::OK,
                        viewer::CONTENT_TYPE,
                        Bytes::from_static(viewer::page().as_bytes()),
                    ),
                    _ => EndpointResponse::method_not_allowed("GET, HEAD"),
                }
            }
            route if management::owns(route) => {
                let mounted = self.mounted();
                management::respond(mounted.iter().map(MountedNetwork::bindings), &request).await?
            }
            _ => return None,
        };
        self.check_prefix(&request.prefix);
        Some(response)
    }
}
