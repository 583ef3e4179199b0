//! What can go wrong on a client connection.

use std::fmt;
use std::time::Duration;

use openws_core::ErrorCode;

use crate::frame::{ErrorFrame, MalformedFrame, MessageFrame};

/// A failure of a client operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL or a header of the upgrade request is not valid.
    #[error("invalid connection request: {0}")]
    InvalidRequest(String),
    /// The server answered the upgrade request with an HTTP error (a connect hook's refusal).
    #[error("the server refused the connection with HTTP {status}: {body}")]
    Refused {
        /// The HTTP status, such as 401 or 403.
        status: u16,
        /// The response body (the refusal's reason), lossily decoded.
        body: String,
    },
    /// The WebSocket connection failed.
    #[error("WebSocket error: {0}")]
    WebSocket(#[source] Box<tokio_tungstenite::tungstenite::Error>),
    /// The connection is closed; the close frame, if the server sent one.
    #[error("the connection is closed{}", match .0 { Some(close) => format!(" ({close})"), None => String::new() })]
    Closed(Option<CloseInfo>),
    /// No answer to a request arrived within the request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The payload could not be encoded as JSON.
    #[error("cannot encode the payload: {0}")]
    Encode(#[source] serde_json::Error),
    /// The server refused the frame: an error frame with its code.
    #[error("the server refused the frame: {0}")]
    Server(Box<ErrorFrame>),
    /// A frame from the server does not fit the expected types.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl ClientError {
    /// The code of a [`ClientError::Server`] error, if this version knows it.
    pub fn code(&self) -> Option<ErrorCode> {
        self.server_error().and_then(ErrorFrame::error_code)
    }

    /// The error frame of a [`ClientError::Server`] error.
    pub fn server_error(&self) -> Option<&ErrorFrame> {
        match self {
            Self::Server(frame) => Some(frame),
            _ => None,
        }
    }
}

/// Why a connection was closed: the close frame's code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code (RFC 6455; `docs/protocol.md` lists what the server sends).
    pub code: u16,
    /// The reason, possibly empty.
    pub reason: String,
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason.as_str() {
            "" => write!(f, "code {}", self.code),
            reason => write!(f, "code {}: {reason}", self.code),
        }
    }
}

/// A frame from the server that does not fit the types the client expects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The server sent something that is not an OpenWS frame.
    #[error("the server sent an unreadable frame: {}", .0.reason)]
    Malformed(MalformedFrame),
    /// A message the client's role does not receive (per the spec it was built from).
    #[error("`{0}` is not a message this role receives")]
    UnknownMessage(String),
    /// Another message than the one asked for.
    #[error("expected message `{expected}`, got `{found}`")]
    OtherMessage {
        /// The message asked for.
        expected: &'static str,
        /// The message the frame holds.
        found: String,
    },
    /// The payload does not fit the message's Rust type.
    #[error("the payload of `{message_name}` does not fit its type: {source}")]
    Payload {
        /// The message.
        message_name: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
}

impl DecodeError {
    /// `frame` holds a message the role does not receive (generated clients use it).
    pub fn unknown_message(frame: &MessageFrame) -> Self {
        Self::UnknownMessage(frame.message_name.clone())
    }
}
