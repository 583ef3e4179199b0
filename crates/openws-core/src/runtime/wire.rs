//! The wire format: envelopes in, message and error frames out (see `docs/protocol.md`).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// The stable code of an error frame. `docs/protocol.md` lists when each is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The frame is not a JSON object with the envelope fields, or is binary.
    BadFrame,
    /// `fromRole` names no remote role of the network.
    UnknownRole,
    /// The route does not let this connection take the named role.
    RoleRefused,
    /// `fromRole` differs from the role the connection holds.
    RoleMismatch,
    /// The host role accepts no message of that name.
    UnknownMessage,
    /// The connection's role is not in the message's `from` list.
    ForbiddenRole,
    /// The payload does not match the message's schema.
    InvalidPayload,
    /// The message has no handler on this server.
    NotImplemented,
    /// The handler returned an error.
    HandlerError,
    /// The handler panicked; the connection stays usable.
    InternalError,
    /// The connection sent frames faster than its rate limit; the frame was dropped.
    RateLimited,
    /// A guard refused the frame; the handler did not run.
    GuardRejected,
    /// The handler did not finish within the time a timeout layer allows.
    Timeout,
    /// A load-shedding layer refused the frame: the server is at capacity.
    Overloaded,
    /// An application's own code, set with
    /// [`HandlerError::code`](crate::HandlerError::code).
    App(&'static str),
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `"bad_frame"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadFrame => "bad_frame",
            Self::UnknownRole => "unknown_role",
            Self::RoleRefused => "role_refused",
            Self::RoleMismatch => "role_mismatch",
            Self::UnknownMessage => "unknown_message",
            Self::ForbiddenRole => "forbidden_role",
            Self::InvalidPayload => "invalid_payload",
            Self::NotImplemented => "not_implemented",
            Self::HandlerError => "handler_error",
            Self::InternalError => "internal_error",
            Self::RateLimited => "rate_limited",
            Self::GuardRejected => "guard_rejected",
            Self::Timeout => "timeout",
            Self::Overloaded => "overloaded",
            Self::App(code) => code,
        }
    }
}

impl ErrorCode {
    /// Every code this version knows, in the order `docs/protocol.md` lists them.
    pub const ALL: &'static [ErrorCode] = &[
        Self::BadFrame,
        Self::UnknownRole,
        Self::RoleRefused,
        Self::RoleMismatch,
        Self::UnknownMessage,
        Self::ForbiddenRole,
        Self::InvalidPayload,
        Self::NotImplemented,
        Self::HandlerError,
        Self::InternalError,
    ];

    /// The code spelled `code` on the wire, if this version knows it (clients
    /// read codes with it; a newer server may send codes an older client does not know).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An inbound frame the server refused, as sent back in an error frame.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct FrameError {
    /// The stable code.
    pub code: ErrorCode,
    /// A sentence for humans.
    pub message: String,
    /// The message the frame named, when it got that far.
    #[serde(rename = "messageName", skip_serializing_if = "Option::is_none")]
    pub message_name: Option<String>,
    /// Structured detail, such as the schema violations of an `invalid_payload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl FrameError {
    /// An error with `code` and a sentence for humans.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            message_name: None,
            details: None,
        }
    }

    pub(crate) fn about(mut self, message_name: &str) -> Self {
        self.message_name = Some(message_name.to_owned());
        self
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// The correlation id of a request, echoed as `replyTo` (a JSON string or number, kept verbatim).
pub(crate) type RequestId = Box<RawValue>;

/// The envelope fields of an inbound frame, borrowed from its text.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(rename = "fromRole", borrow, default)]
    from_role: Option<&'a RawValue>,
    #[serde(rename = "messageName", borrow, default)]
    message_name: Option<&'a RawValue>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

/// A parsed inbound envelope. The payload is still raw JSON.
pub(crate) struct Envelope<'a> {
    pub(crate) from_role: Cow<'a, str>,
    pub(crate) message_name: Cow<'a, str>,
    pub(crate) payload: &'a RawValue,
}

/// Parses a text frame. An error carries the request id when the frame had a usable one.
pub(crate) fn parse_envelope(
    text: &str,
) -> Result<(Envelope<'_>, Option<RequestId>), (FrameError, Option<RequestId>)> {
    let raw: RawEnvelope<'_> = serde_json::from_str(text).map_err(|error| {
        let message = if error.is_data() {
            "frame is not a JSON object".to_owned()
        } else {
            format!("frame is not valid JSON: {error}")
        };
        (FrameError::new(ErrorCode::BadFrame, message), None)
    })?;
    let id = match raw.id.map(request_id).transpose() {
        Ok(id) => id,
        Err(message) => return Err((bad_frame(message), None)),
    };
    let fail = |message: &str| Err((bad_frame(message), id.clone()));
    let Some(from_role) = raw.from_role.and_then(json_str) else {
        return fail("`fromRole` must be present and a string");
    };
    let Some(message_name) = raw.message_name.and_then(json_str) else {
        return fail("`messageName` must be present and a string");
    };
    let Some(payload) = raw.payload else {
        return fail("`payload` must be present");
    };
    let envelope = Envelope {
        from_role,
        message_name,
        payload,
    };
    Ok((envelope, id))
}

/// Decodes a payload: a JSON object, or (as older clients send it) a string holding JSON.
pub(crate) fn decode_payload(payload: &RawValue) -> Result<Value, FrameError> {
    let text = payload.get();
    let value = match text.as_bytes().first() {
        Some(b'{') => serde_json::from_str(text),
        Some(b'"') => {
            let inner: Cow<'_, str> = serde_json::from_str(text)
                .map_err(|e| bad_frame(&format!("`payload` string is unreadable: {e}")))?;
            serde_json::from_str(&inner)
        }
        _ => return Err(bad_frame("`payload` must be an object or a string of JSON")),
    };
    value.map_err(|e| bad_frame(&format!("`payload` is not valid JSON: {e}")))
}

/// Encodes a message frame sent by the host role.
pub(crate) fn message_frame(
    host_role: &str,
    message_name: &str,
    payload: &Value,
    reply_to: Option<&RawValue>,
) -> Bytes {
    #[derive(Serialize)]
    struct Frame<'a> {
        #[serde(rename = "fromRole")]
        from_role: &'a str,
        #[serde(rename = "messageName")]
        message_name: &'a str,
        payload: &'a Value,
        #[serde(rename = "replyTo", skip_serializing_if = "Option::is_none")]
        reply_to: Option<&'a RawValue>,
    }
    encode(&Frame {
        from_role: host_role,
        message_name,
        payload,
        reply_to,
    })
}

/// Encodes an error frame sent by the host role.
pub(crate) fn error_frame(
    host_role: &str,
    error: &FrameError,
    reply_to: Option<&RawValue>,
) -> Bytes {
    #[derive(Serialize)]
    struct Frame<'a> {
        #[serde(rename = "fromRole")]
        from_role: &'a str,
        error: &'a FrameError,
        #[serde(rename = "replyTo", skip_serializing_if = "Option::is_none")]
        reply_to: Option<&'a RawValue>,
    }
    encode(&Frame {
        from_role: host_role,
        error,
        reply_to,
    })
}

/// `frame` (one this crate encoded) with its `payload`, if any, turned into a
/// string holding the payload's JSON, for peers that want string payloads
/// (see [`Connection::wants_string_payloads`](super::Connection::wants_string_payloads)).
/// Other fields keep their order and text.
pub(crate) fn stringify_payload(frame: Bytes) -> Bytes {
    type Fields<'a> = IndexMap<Cow<'a, str>, Box<RawValue>>;
    let Ok(mut fields) = serde_json::from_slice::<Fields<'_>>(&frame) else {
        return frame;
    };
    let Some(payload) = fields.get_mut("payload") else {
        return frame;
    };
    if payload.get().starts_with('"') {
        return frame;
    }
    let text = serde_json::to_string(payload.get()).expect("a string always serializes");
    *payload = RawValue::from_string(text).expect("a serialized string is valid JSON");
    encode(&fields)
}

/// Where a frame stands in a stream: its id, its place, and whether it is the last.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct StreamMark {
    pub(crate) id: u64,
    pub(crate) seq: u64,
    pub(crate) state: StreamState,
}

/// `chunk` for every chunk of a stream, `done` for its last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StreamState {
    Chunk,
    Done,
}

/// Encodes a frame of a stream: a chunk (with its payload), the final `done`
/// frame (no payload), or, when the stream failed, a final error frame.
pub(crate) fn stream_frame(
    host_role: &str,
    message_name: &str,
    body: StreamBody<'_>,
    mark: StreamMark,
    reply_to: Option<&RawValue>,
) -> Bytes {
    #[derive(Serialize)]
    struct Frame<'a> {
        #[serde(rename = "fromRole")]
        from_role: &'a str,
        #[serde(rename = "messageName", skip_serializing_if = "Option::is_none")]
        message_name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        payload: Option<&'a Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a FrameError>,
        stream: StreamMark,
        #[serde(rename = "replyTo", skip_serializing_if = "Option::is_none")]
        reply_to: Option<&'a RawValue>,
    }
    let (payload, error) = match body {
        StreamBody::Chunk(payload) => (Some(payload), None),
        StreamBody::Done => (None, None),
        StreamBody::Failed(error) => (None, Some(error)),
    };
    encode(&Frame {
        from_role: host_role,
        message_name: error.is_none().then_some(message_name),
        payload,
        error,
        stream: mark,
        reply_to,
    })
}

/// What a stream frame carries.
pub(crate) enum StreamBody<'a> {
    Chunk(&'a Value),
    Done,
    Failed(&'a FrameError),
}

fn encode(frame: &impl Serialize) -> Bytes {
    // Serializing borrowed strings and JSON values into a Vec cannot fail.
    Bytes::from(serde_json::to_vec(frame).expect("frames always serialize"))
}

fn bad_frame(message: &str) -> FrameError {
    FrameError::new(ErrorCode::BadFrame, message)
}

fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    // A JSON string without escapes is its text between the quotes (`raw` is valid JSON).
    let unescaped = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|inner| !inner.contains('\\'));
    if let Some(inner) = unescaped {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str(text).ok()
}

/// The longest `id` accepted, in bytes of its JSON text (quotes and escapes included).
pub(crate) const MAX_ID_BYTES: usize = 128;

/// A usable request id: a string or number of at most [`MAX_ID_BYTES`] that
/// the payload parser would read too (no number out of range, no lone surrogate).
fn request_id(raw: &RawValue) -> Result<RequestId, &'static str> {
    let text = raw.get();
    if !matches!(text.as_bytes().first(), Some(b'"' | b'-' | b'0'..=b'9')) {
        return Err("`id` must be a string or a number");
    }
    if text.len() > MAX_ID_BYTES {
        return Err("`id` is longer than 128 bytes");
    }
    if serde_json::from_str::<Value>(text).is_err() {
        return Err("`id` is unreadable (a number out of range, or a lone surrogate)");
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(text: &str) -> ErrorCode {
        parse_envelope(text).err().expect("frame is refused").0.code
    }

    #[test]
    fn parses_envelope_with_id() {
        let (envelope, id) = parse_envelope(
            r#"{"fromRole":"client","messageName":"joinRoom","payload":{"a":1},"id":7}"#,
        )
        .ok()
        .unwrap();
        assert_eq!(envelope.from_role, "client");
        assert_eq!(envelope.message_name, "joinRoom");
        assert_eq!(envelope.payload.get(), r#"{"a":1}"#);
        assert_eq!(id.unwrap().get(), "7");
    }

    #[test]
    fn reads_escaped_role_and_message_names() {
        let (envelope, _) =
            parse_envelope(r#"{"fromRole":"cli\u0065nt","messageName":"a\"b","payload":{}}"#)
                .ok()
                .unwrap();
        assert_eq!(envelope.from_role, "client");
        assert_eq!(envelope.message_name, "a\"b");
    }

    #[test]
    fn refuses_malformed_envelopes() {
        assert_eq!(code_of("not json"), ErrorCode::BadFrame);
        assert_eq!(code_of("[1,2]"), ErrorCode::BadFrame);
        assert_eq!(
            code_of(r#"{"messageName":"x","payload":{}}"#),
            ErrorCode::BadFrame
        );
        assert_eq!(
            code_of(r#"{"fromRole":1,"messageName":"x","payload":{}}"#),
            ErrorCode::BadFrame
        );
        assert_eq!(
            code_of(r#"{"fromRole":"c","payload":{}}"#),
            ErrorCode::BadFrame
        );
        assert_eq!(
            code_of(r#"{"fromRole":"c","messageName":"x"}"#),
            ErrorCode::BadFrame
        );
        assert_eq!(
            code_of(r#"{"fromRole":"c","messageName":"x","payload":{},"id":{}}"#),
            ErrorCode::BadFrame
        );
    }

    #[test]
    fn refuses_ids_the_payload_parser_refuses() {
        let with_id =
            |id: &str| format!(r#"{{"fromRole":"c","messageName":"x","payload":{{}},"id":{id}}}"#);
        let huge = "9".repeat(50_000);
        let long = format!("\"{}\"", "i".repeat(MAX_ID_BYTES));
        for id in [
            "1e400",
            "-1e400",
            &huge,
            r#""\ud800""#,
            r#""\udc00x""#,
            &long,
        ] {
            let (error, reply_to) = parse_envelope(&with_id(id)).err().expect("refused");
            assert_eq!(error.code, ErrorCode::BadFrame, "{id:.20}");
            assert!(reply_to.is_none());
        }
        let longest = format!("\"{}\"", "i".repeat(MAX_ID_BYTES - 2));
        for id in ["1e300", "-0.5", r#""\ud83d\ude00""#, &longest] {
            let Ok((_, reply_to)) = parse_envelope(&with_id(id)) else {
                panic!("id {id} refused");
            };
            assert_eq!(reply_to.unwrap().get(), id);
        }
    }

    #[test]
    fn keeps_id_of_a_frame_refused_later() {
        let (_, id) = parse_envelope(r#"{"id":"r1","fromRole":"c"}"#)
            .err()
            .unwrap();
        assert_eq!(id.unwrap().get(), r#""r1""#);
    }

    #[test]
    fn stringifies_payloads_and_leaves_other_frames_alone() {
        let reply_to = RawValue::from_string("\"r1\"".to_owned()).unwrap();
        let frame = message_frame(
            "server",
            "joinedRoom",
            &serde_json::json!({"roomId": "a\"b"}),
            Some(&reply_to),
        );
        let stringified = stringify_payload(frame);
        assert_eq!(
            std::str::from_utf8(&stringified).unwrap(),
            r#"{"fromRole":"server","messageName":"joinedRoom","payload":"{\"roomId\":\"a\\\"b\"}","replyTo":"r1"}"#
        );
        let parsed: Value = serde_json::from_slice(&stringified).unwrap();
        let inner: Value = serde_json::from_str(parsed["payload"].as_str().unwrap()).unwrap();
        assert_eq!(inner, serde_json::json!({"roomId": "a\"b"}));
        assert_eq!(stringify_payload(stringified.clone()), stringified);
        let error = error_frame("server", &bad_frame("no"), None);
        assert_eq!(stringify_payload(error.clone()), error);
    }

    #[test]
    fn decodes_object_and_string_payloads() {
        let object: Box<RawValue> = serde_json::from_str(r#"{"a":1}"#).unwrap();
        let string: Box<RawValue> = serde_json::from_str(r#""{\"a\":1}""#).unwrap();
        assert_eq!(
            decode_payload(&object).unwrap(),
            serde_json::json!({"a": 1})
        );
        assert_eq!(
            decode_payload(&string).unwrap(),
            serde_json::json!({"a": 1})
        );
        let number: Box<RawValue> = serde_json::from_str("5").unwrap();
        assert_eq!(
            decode_payload(&number).unwrap_err().code,
            ErrorCode::BadFrame
        );
        let junk: Box<RawValue> = serde_json::from_str(r#""{nope""#).unwrap();
        assert_eq!(decode_payload(&junk).unwrap_err().code, ErrorCode::BadFrame);
    }

    #[test]
    fn parses_every_code_it_writes() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("from_the_future"), None);
    }

    #[test]
    fn encodes_frames() {
        let id: Box<RawValue> = serde_json::from_str(r#""q1""#).unwrap();
        let frame = message_frame("server", "pong", &serde_json::json!({}), Some(&id));
        assert_eq!(
            &frame[..],
            br#"{"fromRole":"server","messageName":"pong","payload":{},"replyTo":"q1"}"#
        );
        let error = FrameError::new(ErrorCode::UnknownMessage, "no").about("x");
        let frame = error_frame("server", &error, None);
        assert_eq!(
            &frame[..],
            br#"{"fromRole":"server","error":{"code":"unknown_message","message":"no","messageName":"x"}}"#
        );
    }
}
