//! Handler errors: what the peer sees, and what only the server's log sees.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::runtime::{ConnectionId, ErrorCode, FrameError};

/// Any error, boxed: what `?` turns into a [`HandlerError`] and what tower
/// middleware returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The message a peer receives for an error whose text is private.
const PRIVATE_MESSAGE: &str = "the handler failed";

/// What a handler (or an extractor, or a guard) returns when it fails.
///
/// `?` converts any error into one: a `std::error::Error` (a database error,
/// an IO error), an `anyhow::Error`, a `String`. Such an error is **private**:
/// the peer receives a `handler_error` frame with a generic message, and the
/// real error goes to the log (`tracing`, level `error`) with the connection
/// id and the message name. Only errors made with [`HandlerError::public`]
/// show their text; they may carry an application code and details.
///
/// ```
/// use openws_core::HandlerError;
/// use serde_json::json;
///
/// fn parse(n: &str) -> Result<u32, HandlerError> {
///     Ok(n.parse::<u32>()?) // private: the peer reads "the handler failed"
/// }
/// assert_eq!(parse("x").unwrap_err().message(), "the handler failed");
///
/// let full = HandlerError::public("room `r1` is full")
///     .code("room_full")
///     .details(json!({"capacity": 10}));
/// assert_eq!(full.message(), "room `r1` is full");
/// assert_eq!(full.error_code().as_str(), "room_full");
/// ```
pub struct HandlerError {
    code: ErrorCode,
    /// `None` for a private error: the peer gets [`PRIVATE_MESSAGE`].
    message: Option<Cow<'static, str>>,
    details: Option<Value>,
    source: Option<BoxError>,
}

impl HandlerError {
    /// An error whose message the peer sees, with code `handler_error`.
    pub fn public(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: ErrorCode::HandlerError,
            message: Some(message.into()),
            details: None,
            source: None,
        }
    }

    /// The same as [`HandlerError::public`]: an error whose message the peer sees.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self::public(message)
    }

    /// A private error: the peer sees a generic message, the log sees `error`.
    pub fn private(error: impl Into<BoxError>) -> Self {
        Self {
            code: ErrorCode::HandlerError,
            message: None,
            details: None,
            source: Some(error.into()),
        }
    }

    /// Sends the error with the application's own stable code instead of
    /// `handler_error` (for instance `"room_full"`); document it next to
    /// your messages. Use lower-case words joined by `_`.
    #[must_use]
    pub fn code(mut self, code: &'static str) -> Self {
        self.code = ErrorCode::App(code);
        self
    }

    /// Attaches structured details, sent as the error frame's `details`.
    #[must_use]
    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub(crate) fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    /// The message the peer receives.
    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or(PRIVATE_MESSAGE)
    }

    /// The code the peer receives.
    pub fn error_code(&self) -> ErrorCode {
        self.code
    }

    /// Whether the peer sees the message (see [`HandlerError::public`]).
    pub fn is_public(&self) -> bool {
        self.message.is_some()
    }

    /// The underlying error, when the handler failed through `?`.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }

    /// The error frame the peer receives; a private error is logged here,
    /// with the connection and the message it answered.
    pub(crate) fn into_frame_error(self, connection: ConnectionId, message: &str) -> FrameError {
        match &self.source {
            Some(source) if self.message.is_none() => {
                tracing::error!(%connection, message, error = %source, "handler failed");
            }
            _ => tracing::debug!(%connection, message, error = %self, "handler refused"),
        }
        let mut error = FrameError::new(self.code, self.message());
        error.details = self.details;
        error
    }
}

impl<E: Into<BoxError>> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self::private(error)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("details", &self.details)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.message, &self.source) {
            (None, Some(source)) => write!(f, "{}: {source}", self.code),
            _ => write!(f, "{}: {}", self.code, self.message()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_mark_errors_stay_private() {
        fn io() -> Result<(), HandlerError> {
            Err(std::io::Error::other("disk on fire at /var/db"))?
        }
        fn text() -> Result<(), HandlerError> {
            Err(String::from("password=hunter2"))?
        }
        for error in [io().unwrap_err(), text().unwrap_err()] {
            assert!(!error.is_public());
            let frame = error.into_frame_error(ConnectionId::next(), "m");
            assert_eq!(frame.code, ErrorCode::HandlerError);
            assert_eq!(frame.message, PRIVATE_MESSAGE);
        }
    }

    #[test]
    fn public_errors_carry_code_and_details() {
        let frame = HandlerError::public("full")
            .code("room_full")
            .details(serde_json::json!({"max": 2}))
            .into_frame_error(ConnectionId::next(), "join");
        assert_eq!(frame.code.as_str(), "room_full");
        assert_eq!(frame.message, "full");
        assert_eq!(frame.details, Some(serde_json::json!({"max": 2})));
    }
}
