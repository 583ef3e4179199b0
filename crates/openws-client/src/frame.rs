//! Frames as a client sees them: what it sends, and what the server sends back.

use openws_core::ErrorCode;
use openws_core::typed::MessageType;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ClientError, DecodeError};

/// A frame the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A message for the client's role.
    Message(MessageFrame),
    /// The server refused a frame the client sent.
    Error(ErrorFrame),
    /// Text that is not an OpenWS frame, or a binary frame (servers send neither).
    Malformed(MalformedFrame),
}

/// A message frame: `{"fromRole", "messageName", "payload", "replyTo"?}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MessageFrame {
    /// The server's host role.
    #[serde(rename = "fromRole")]
    pub from_role: String,
    /// The message's name.
    #[serde(rename = "messageName")]
    pub message_name: String,
    /// The payload, already validated by the server against the role's schema.
    pub payload: Value,
    /// The `id` of the request this frame answers, if it answers one.
    #[serde(rename = "replyTo", default)]
    pub reply_to: Option<Value>,
}

/// An error frame: the server refused a frame and says why, with a stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ErrorFrame {
    /// The server's host role.
    pub from_role: String,
    /// The code as sent (`docs/protocol.md` lists them); see [`ErrorFrame::error_code`].
    pub code: String,
    /// A sentence for humans; do not match on it.
    pub message: String,
    /// The message the refused frame named, once the server could read it.
    pub message_name: Option<String>,
    /// Structured detail, such as the schema violations of an `invalid_payload`.
    pub details: Option<Value>,
    /// The `id` of the refused frame, when it had a readable one.
    pub reply_to: Option<Value>,
}

/// What the server sent that is not an OpenWS frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedFrame {
    /// The frame's text (empty for a binary frame).
    pub text: String,
    /// Why it could not be read.
    pub reason: String,
}

impl Frame {
    /// Reads a text frame from the server; anything unreadable becomes [`Frame::Malformed`].
    pub fn parse(text: &str) -> Self {
        match serde_json::from_str::<RawFrame>(text) {
            Ok(raw) => raw.into_frame(text),
            Err(error) => Self::malformed(text, error.to_string()),
        }
    }

    /// The `replyTo` of the frame, if any.
    pub fn reply_to(&self) -> Option<&Value> {
        match self {
            Self::Message(message) => message.reply_to.as_ref(),
            Self::Error(error) => error.reply_to.as_ref(),
            Self::Malformed(_) => None,
        }
    }

    /// The message frame, or the error the other kinds of frame stand for
    /// ([`ClientError::Server`] for an error frame).
    pub fn into_message(self) -> Result<MessageFrame, ClientError> {
        match self {
            Self::Message(message) => Ok(message),
            Self::Error(error) => Err(ClientError::Server(Box::new(error))),
            Self::Malformed(malformed) => Err(DecodeError::Malformed(malformed).into()),
        }
    }

    pub(crate) fn malformed(text: &str, reason: impl Into<String>) -> Self {
        Self::Malformed(MalformedFrame {
            text: text.to_owned(),
            reason: reason.into(),
        })
    }
}

impl MessageFrame {
    /// The payload as `T`.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        T::deserialize(&self.payload).map_err(|source| DecodeError::Payload {
            message_name: self.message_name.clone(),
            source,
        })
    }

    /// Whether this is message `M`.
    pub fn is<M: MessageType>(&self) -> bool {
        self.message_name == M::NAME
    }

    /// The payload of message `M`; an error if this is another message or the
    /// payload does not fit `M::Payload`.
    pub fn decode<M: MessageType>(&self) -> Result<M::Payload, DecodeError> {
        if !self.is::<M>() {
            return Err(DecodeError::OtherMessage {
                expected: M::NAME,
                found: self.message_name.clone(),
            });
        }
        self.payload_as()
    }
}

impl ErrorFrame {
    /// The code, if this version of openws knows it (a newer server may send new codes).
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }
}

/// The fields of any server frame, before it is known which kind it is.
#[derive(Deserialize)]
struct RawFrame {
    #[serde(rename = "fromRole")]
    from_role: String,
    #[serde(rename = "messageName", default)]
    message_name: Option<String>,
    #[serde(default)]
    payload: Option<Value>,
    #[serde(default)]
    error: Option<RawError>,
    #[serde(rename = "replyTo", default)]
    reply_to: Option<Value>,
}

#[derive(Deserialize)]
struct RawError {
    code: String,
    message: String,
    #[serde(rename = "messageName", default)]
    message_name: Option<String>,
    #[serde(default)]
    details: Option<Value>,
}

impl RawFrame {
    fn into_frame(self, text: &str) -> Frame {
        match (self.error, self.message_name, self.payload) {
            (Some(error), _, _) => Frame::Error(ErrorFrame {
                from_role: self.from_role,
                code: error.code,
                message: error.message,
                message_name: error.message_name,
                details: error.details,
                reply_to: self.reply_to,
            }),
            (None, Some(message_name), Some(payload)) => Frame::Message(MessageFrame {
                from_role: self.from_role,
                message_name,
                payload,
                reply_to: self.reply_to,
            }),
            (None, _, _) => Frame::malformed(
                text,
                "a frame needs `error`, or `messageName` and `payload`",
            ),
        }
    }
}

/// A frame the client sends: `{"fromRole", "messageName", "payload", "id"?}`.
#[derive(Serialize)]
pub(crate) struct Outgoing<'a, P: ?Sized> {
    #[serde(rename = "fromRole")]
    pub(crate) from_role: &'a str,
    #[serde(rename = "messageName")]
    pub(crate) message_name: &'a str,
    pub(crate) payload: &'a P,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<u64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_message_frames() {
        let frame = Frame::parse(
            r#"{"fromRole":"server","messageName":"pong","payload":{"n":2},"replyTo":7}"#,
        );
        let Frame::Message(message) = frame else {
            panic!("a message frame: {frame:?}")
        };
        assert_eq!(message.message_name, "pong");
        assert_eq!(message.payload, json!({"n": 2}));
        assert_eq!(message.reply_to, Some(json!(7)));
    }

    #[test]
    fn reads_error_frames_with_their_code() {
        let frame = Frame::parse(
            r#"{"fromRole":"server","error":{"code":"invalid_payload","message":"no","messageName":"ping","details":[]},"replyTo":"a"}"#,
        );
        let Frame::Error(error) = &frame else {
            panic!("an error frame: {frame:?}")
        };
        assert_eq!(error.error_code(), Some(ErrorCode::InvalidPayload));
        assert_eq!(error.message_name.as_deref(), Some("ping"));
        assert_eq!(frame.reply_to(), Some(&json!("a")));
        let error = frame.into_message().unwrap_err();
        assert_eq!(error.code(), Some(ErrorCode::InvalidPayload));
    }

    #[test]
    fn keeps_unknown_codes() {
        let frame =
            Frame::parse(r#"{"fromRole":"server","error":{"code":"new_code","message":"m"}}"#);
        let Frame::Error(error) = frame else {
            panic!("an error frame")
        };
        assert_eq!(error.code, "new_code");
        assert_eq!(error.error_code(), None);
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "nope",
            "[]",
            r#"{"fromRole":"server"}"#,
            r#"{"fromRole":"server","messageName":"x"}"#,
            r#"{"messageName":"x","payload":{}}"#,
        ] {
            assert!(
                matches!(Frame::parse(text), Frame::Malformed(_)),
                "{text} is malformed"
            );
        }
    }

    #[test]
    fn encodes_outgoing_frames() {
        let frame = Outgoing {
            from_role: "client",
            message_name: "ping",
            payload: &json!({"n": 1}),
            id: Some(3),
        };
        assert_eq!(
            serde_json::to_string(&frame).unwrap(),
            r#"{"fromRole":"client","messageName":"ping","payload":{"n":1},"id":3}"#
        );
    }
}
