//! tungstenite's read errors, as the frame pump's [`Inbound`] frames.

use std::error::Error;

use openws_core::{CloseFrame, Inbound};

/// What the frame pump makes of an error read from a tungstenite-backed socket
/// (tungstenite's own, or axum's, which wraps it as its source): a frame over
/// the limit becomes [`Inbound::TooBig`], a broken RFC 6455 rule an
/// [`Inbound::Violation`] with 1002 (1007 for text that is not UTF-8); any
/// other error means the socket failed and is handed back.
pub fn read_error<T, E: Error + 'static>(error: E) -> Result<Inbound<T>, E> {
    let itself: &(dyn Error + 'static) = &error;
    let Some(cause) = itself
        .downcast_ref::<tungstenite::Error>()
        .or_else(|| error.source()?.downcast_ref::<tungstenite::Error>())
    else {
        return Err(error);
    };
    match cause {
        tungstenite::Error::Capacity(_) => Ok(Inbound::TooBig),
        tungstenite::Error::Utf8(_) => Ok(Inbound::Violation(CloseFrame::new(
            CloseFrame::INVALID_DATA,
            "text is not valid UTF-8",
        ))),
        tungstenite::Error::Protocol(violation) => Ok(Inbound::Violation(CloseFrame::new(
            CloseFrame::PROTOCOL_ERROR,
            violation.to_string(),
        ))),
        _ => Err(error),
    }
}
