//! Connection admission: which role a new connection holds, decided from its HTTP request.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;

use http::{HeaderMap, StatusCode, Uri, header};

use super::gate::Permit;

/// The HTTP upgrade request of a new connection, as a connect hook sees it.
///
/// Adapters build it from their framework's request type.
///
/// ```
/// use openws_core::ConnectRequest;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "Bearer s3cret".parse().unwrap());
/// let request = ConnectRequest::new("/chat?room=lobby".parse().unwrap(), headers);
/// assert_eq!(request.bearer_token(), Some("s3cret"));
/// assert!(request.bearer_is("s3cret"));
/// assert_eq!(request.query("room").as_deref(), Some("lobby"));
/// ```
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    uri: Uri,
    headers: HeaderMap,
    remote_addr: Option<SocketAddr>,
}

impl ConnectRequest {
    /// A request for `uri` with `headers`.
    pub fn new(uri: Uri, headers: HeaderMap) -> Self {
        Self {
            uri,
            headers,
            remote_addr: None,
        }
    }

    /// Records the peer's socket address.
    #[must_use]
    pub fn with_remote_addr(mut self, addr: Option<SocketAddr>) -> Self {
        self.remote_addr = addr;
        self
    }

    /// The request URI (path and query).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// All request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header's value, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// A query parameter's first value, percent-decoded.
    pub fn query(&self, name: &str) -> Option<Cow<'_, str>> {
        form_urlencoded::parse(self.uri.query()?.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        bearer_token(&self.headers)
    }

    /// Whether the request carries `Authorization: Bearer <expected>`, compared
    /// in constant time.
    pub fn bearer_is(&self, expected: &str) -> bool {
        self.bearer_token()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes()))
    }

    /// The peer's socket address, when the adapter knows it.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The subprotocols the client offers in `Sec-WebSocket-Protocol`, in its order.
    pub fn subprotocols(&self) -> impl Iterator<Item = &str> {
        self.headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|protocol| !protocol.is_empty())
    }

    /// A cookie's value, from the `Cookie` headers.
    ///
    /// ```
    /// use openws_core::ConnectRequest;
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("cookie", "theme=dark; session=abc123".parse().unwrap());
    /// headers.insert("sec-websocket-protocol", "openws, v1".parse().unwrap());
    /// let request = ConnectRequest::new("/chat".parse().unwrap(), headers);
    /// assert_eq!(request.cookie("session"), Some("abc123"));
    /// assert_eq!(request.cookie("missing"), None);
    /// assert_eq!(request.subprotocols().collect::<Vec<_>>(), ["openws", "v1"]);
    /// ```
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.trim_matches('"'))
    }

    /// The token of a `bearer.<token>` subprotocol the client offers: how a
    /// browser, which cannot set headers on a WebSocket, can send a token
    /// without putting it in the URL (`new WebSocket(url, ["openws", "bearer." + token])`).
    pub fn subprotocol_token(&self) -> Option<&str> {
        self.subprotocols()
            .find_map(|protocol| protocol.strip_prefix(Self::TOKEN_SUBPROTOCOL_PREFIX))
            .filter(|token| !token.is_empty())
    }

    /// The prefix of a subprotocol that carries a token: `bearer.`.
    pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "bearer.";

    /// A credential from wherever a client can put one, in this order: an
    /// `Authorization: Bearer` header, a `bearer.<token>` subprotocol, a
    /// `token` query parameter (which servers and proxies may log: prefer the
    /// other two).
    ///
    /// ```
    /// use openws_core::ConnectRequest;
    ///
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("sec-websocket-protocol", "openws, bearer.s3cret".parse().unwrap());
    /// let request = ConnectRequest::new("/chat".parse().unwrap(), headers);
    /// assert_eq!(request.token().as_deref(), Some("s3cret"));
    /// assert!(request.token_is("s3cret"));
    ///
    /// let request = ConnectRequest::new("/chat?token=abc".parse().unwrap(), http::HeaderMap::new());
    /// assert!(request.token_is("abc"));
    /// ```
    pub fn token(&self) -> Option<Cow<'_, str>> {
        self.bearer_token()
            .or_else(|| self.subprotocol_token())
            .map(Cow::Borrowed)
            .or_else(|| self.query("token").filter(|token| !token.is_empty()))
    }

    /// Whether [`ConnectRequest::token`] is `expected`, compared in constant time.
    pub fn token_is(&self, expected: &str) -> bool {
        self.token()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes()))
    }
}

/// The token of an `Authorization: Bearer <token>` header among `headers`.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A connection let in: the role it holds, and data for its handlers.
#[derive(Debug, Default)]
pub struct Admission {
    pub(crate) role: Option<String>,
    pub(crate) extensions: http::Extensions,
    pub(crate) subprotocol: Option<String>,
    pub(crate) permit: Option<Permit>,
}

impl Admission {
    /// The connection holds `role` from the start; frames naming another role are refused.
    pub fn role(role: impl Into<String>) -> Self {
        Self {
            role: Some(role.into()),
            ..Self::default()
        }
    }

    /// The first frame's `fromRole` chooses the role, among the route's open roles
    /// (compatibility mode for peers that need no authentication).
    pub fn first_frame() -> Self {
        Self::default()
    }

    /// Attaches a value handlers can read with [`Ctx::extension`](crate::Ctx::extension),
    /// such as the authenticated user.
    #[must_use]
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// The role chosen at connect time, if any.
    pub fn chosen_role(&self) -> Option<&str> {
        self.role.as_deref()
    }

    /// The subprotocol negotiated for the connection: adapters echo it in the
    /// `Sec-WebSocket-Protocol` header of the upgrade response.
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }
}

/// A refused upgrade: adapters answer it with this HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Rejection {
    status: StatusCode,
    message: String,
}

impl Rejection {
    /// Refuses with any status (a 4xx or 5xx).
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 401: the request carries no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403: the credentials are valid but not enough.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 503: the server is shutting down or holds as many connections as allowed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason, sent as the response body.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}
