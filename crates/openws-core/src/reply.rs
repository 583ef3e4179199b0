//! What a handler returns: nothing, or a typed reply to the request.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::HandlerError;

/// A message sent back to the sender of the request, with `replyTo` set to
/// the request's `id` (or without `replyTo` when the request had none).
///
/// Return it from a handler; the payload is validated against the sender's
/// schema for the message before it is sent, like every outbound payload.
///
/// ```
/// # use openws_core::{HandlerError, Reply};
/// # use serde::Serialize;
/// #[derive(Serialize)]
/// struct Stats { members: u32 }
///
/// async fn stats(_: serde_json::Value) -> Result<Reply<Stats>, HandlerError> {
///     Ok(Reply::new("roomStats", Stats { members: 3 }))
/// }
/// ```
///
/// The typed style names the message by its type, so the compiler checks the
/// payload: [`Reply::to::<M>(payload)`](Reply::to).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    message: Cow<'static, str>,
    payload: T,
}

impl<T> Reply<T> {
    /// A reply with message `message` carrying `payload`.
    pub fn new(message: impl Into<Cow<'static, str>>, payload: T) -> Self {
        Self {
            message: message.into(),
            payload,
        }
    }

    /// The message name.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }
}

/// The outcome of a handled message, as middleware sees it: the reply to
/// send back, if any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    reply: Option<Reply<Value>>,
}

impl Response {
    /// No reply: the handler answered (or not) through the peer handle.
    pub fn none() -> Self {
        Self::default()
    }

    /// The reply the handler returned, if any.
    pub fn reply(&self) -> Option<&Reply<Value>> {
        self.reply.as_ref()
    }

    /// The reply, to change or drop it.
    pub fn reply_mut(&mut self) -> &mut Option<Reply<Value>> {
        &mut self.reply
    }

    pub(crate) fn into_reply(self) -> Option<Reply<Value>> {
        self.reply
    }
}

/// What a handler may return: `()`, a [`Reply`], a [`Response`], or a
/// `Result` of one of them with an error that converts into [`HandlerError`].
#[diagnostic::on_unimplemented(
    message = "a handler cannot return `{Self}`",
    note = "return `()`, `Reply<T>`, or `Result<_, E>` of them where `E: Into<HandlerError>`"
)]
pub trait IntoResponse {
    /// Converts the handler's output.
    fn into_response(self) -> Result<Response, HandlerError>;
}

impl IntoResponse for () {
    fn into_response(self) -> Result<Response, HandlerError> {
        Ok(Response::none())
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Result<Response, HandlerError> {
        Ok(self)
    }
}

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Result<Response, HandlerError> {
        let payload = serde_json::to_value(&self.payload)?;
        Ok(Response {
            reply: Some(Reply::new(self.message, payload)),
        })
    }
}

impl<R: IntoResponse, E: Into<HandlerError>> IntoResponse for Result<R, E> {
    fn into_response(self) -> Result<Response, HandlerError> {
        self.map_err(Into::into)?.into_response()
    }
}
