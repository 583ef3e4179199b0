//! The read side of an upgraded connection: WebSocket frames parsed from the
//! request payload (the socket's bytes after the handshake).
//!
//! Each chunk passes the frame guard first ([`Scanner`]), then actix-http's
//! frame parser; fragmented messages are joined here. The reader answers
//! pings and the closing handshake on the [`Outlet`]: actix-http leaves both
//! to the application.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_http::ws::{CloseCode, CloseReason, OpCode, Parser, ProtocolError};
use actix_web::error::PayloadError;
use actix_web::web::{self, Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;
use openws_core::{CloseFrame, Inbound};

use crate::guard::{Scanner, Violation, is_valid_close_code};
use crate::outbound::Outlet;

type Item = Result<Inbound<ByteString>, PayloadError>;

/// The frames of one connection, as the pump reads them from `S`, the request payload.
pub(crate) struct Reader<S = web::Payload> {
    /// The request payload; `None` once it ended, failed or broke a rule.
    payload: Option<S>,
    scanner: Scanner,
    /// Why the payload was cut short, reported after the frames before it.
    violation: Option<Violation>,
    /// Bytes of a frame that is not complete yet; unallocated between frames.
    buf: BytesMut,
    /// The fragmented message being joined: whether it is text, and its bytes so far.
    message: Option<(bool, BytesMut)>,
    max_bytes: usize,
    outlet: Outlet,
}

impl<S> Reader<S> {
    /// Reads `payload`, refusing frames and messages over `max_bytes`, answering on `outlet`.
    pub(crate) fn new(payload: S, max_bytes: usize, outlet: Outlet) -> Self {
        Self {
            payload: Some(payload),
            scanner: Scanner::new(max_bytes),
            violation: None,
            buf: BytesMut::new(),
            message: None,
            max_bytes,
            outlet,
        }
    }

    /// Takes a chunk of the payload: the part before the first header the guard refuses.
    fn receive(&mut self, mut chunk: Bytes) {
        if let Err((fine, violation)) = self.scanner.feed(&chunk) {
            self.violation = Some(violation);
            self.payload = None;
            chunk.truncate(fine);
        }
        if chunk.is_empty() {
        } else if self.buf.is_empty() {
            // No copy when actix-http hands over the only reference.
            self.buf = BytesMut::from(chunk);
        } else {
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// What a parsed frame means to the pump; `None` for a fragment of a message.
    fn frame(&mut self, fin: bool, opcode: OpCode, data: Option<BytesMut>) -> Option<Item> {
        let data = data.unwrap_or_default();
        let inbound = match opcode {
            OpCode::Ping => {
                self.outlet.pong(&data);
                Inbound::Ping
            }
            OpCode::Pong => Inbound::Pong,
            OpCode::Close => self.close(&data),
            // The guard refuses these before they are parsed; kept as a second line.
            OpCode::Text | OpCode::Binary if self.message.is_some() => {
                protocol_error("new message inside a fragmented message")
            }
            OpCode::Continue if self.message.is_none() => {
                protocol_error("continuation frame without a message to continue")
            }
            OpCode::Bad => protocol_error("reserved opcode"),
            OpCode::Text | OpCode::Binary if fin => message(opcode == OpCode::Text, data),
            OpCode::Text | OpCode::Binary => {
                self.message = Some((opcode == OpCode::Text, data));
                return None;
            }
            OpCode::Continue => {
                let (text, mut joined) = self.message.take()?;
                joined.extend_from_slice(&data);
                if !fin {
                    self.message = Some((text, joined));
                    return None;
                }
                message(text, joined)
            }
        };
        if matches!(inbound, Inbound::Violation(_) | Inbound::Close) {
            self.stop();
        }
        Some(Ok(inbound))
    }

    /// The peer's close frame: echoed with its code, unless the code is one a peer may not send.
    fn close(&mut self, payload: &[u8]) -> Inbound<ByteString> {
        let code = Parser::parse_close_payload(payload).map(|reason| reason.code);
        if let Some(code) = code
            && !is_valid_close_code(code.into())
        {
            return protocol_error("invalid close code");
        }
        self.outlet
            .echo_close(code.map(|code: CloseCode| CloseReason {
                code,
                description: None,
            }));
        Inbound::Close
    }

    /// Reads nothing more.
    fn stop(&mut self) {
        self.payload = None;
        self.buf = BytesMut::new();
        self.message = None;
    }
}

impl<S> Stream for Reader<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        loop {
            match Parser::parse(&mut this.buf, true, this.max_bytes) {
                Ok(Some((fin, opcode, data))) => match this.frame(fin, opcode, data) {
                    Some(item) => return Poll::Ready(Some(item)),
                    None => continue,
                },
                Ok(None) => {}
                Err(error) => {
                    this.stop();
                    return Poll::Ready(Some(Ok(parse_error(&error))));
                }
            }
            if this.buf.is_empty() {
                // Let go of the chunk the frames came from.
                this.buf = BytesMut::new();
            }
            if let Some(violation) = this.violation.take() {
                this.stop();
                return Poll::Ready(Some(Ok(guard_close(violation))));
            }
            let Some(payload) = this.payload.as_mut() else {
                return Poll::Ready(None);
            };
            // actix-web dropped the connection without ending the payload.
            if this.outlet.poll_gone(cx) {
                this.stop();
                return Poll::Ready(None);
            }
            match ready!(Pin::new(payload).poll_next(cx)) {
                Some(Ok(chunk)) => this.receive(chunk),
                Some(Err(error)) => {
                    this.stop();
                    return Poll::Ready(Some(Err(error)));
                }
                None => {
                    this.stop();
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl<S> std::fmt::Debug for Reader<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("buffered", &self.buf.len())
            .field("violation", &self.violation)
            .finish_non_exhaustive()
    }
}

/// A whole data message.
fn message(text: bool, bytes: BytesMut) -> Inbound<ByteString> {
    if !text {
        return Inbound::Binary(bytes.freeze());
    }
    match ByteString::try_from(bytes.freeze()) {
        Ok(text) => Inbound::Text(text),
        Err(_) => Inbound::Violation(CloseFrame::new(
            CloseFrame::INVALID_DATA,
            "text is not valid UTF-8",
        )),
    }
}

fn guard_close<T>(violation: Violation) -> Inbound<T> {
    match violation {
        Violation::TooBig => Inbound::TooBig,
        Violation::Protocol(reason) => protocol_error(reason),
    }
}

fn protocol_error<T>(reason: impl Into<String>) -> Inbound<T> {
    Inbound::Violation(CloseFrame::new(CloseFrame::PROTOCOL_ERROR, reason))
}

/// What the pump makes of a parser error (the guard lets none through, but
/// the parser has the last word).
fn parse_error<T>(error: &ProtocolError) -> Inbound<T> {
    match error {
        ProtocolError::Overflow => Inbound::TooBig,
        violation => protocol_error(violation.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use futures_util::{StreamExt, stream};
    use proptest::prelude::*;

    use super::*;
    use crate::outbound::{Body, pipe};

    const MAX: usize = 1024;

    /// A masked client frame.
    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [7, 1, 3, 9];
        let mut out = vec![first];
        match payload.len() {
            len @ 0..=125 => out.push(0x80 | len as u8),
            len => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        out
    }

    fn reader(chunks: Vec<Vec<u8>>) -> (impl Stream<Item = Item> + Unpin, Body) {
        let (outlet, body) = pipe(MAX);
        let payload = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))));
        (Reader::new(payload, MAX, outlet), body)
    }

    /// What the reader makes of `bytes`, cut at `cuts`, in a comparable form.
    async fn read(bytes: &[u8], cuts: &[usize]) -> (Vec<String>, Body) {
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
        cuts.extend([0, bytes.len()]);
        cuts.sort_unstable();
        let chunks = cuts
            .windows(2)
            .map(|w| bytes[w[0]..w[1]].to_vec())
            .collect();
        let (reader, body) = reader(chunks);
        let seen = reader
            .map(|item| match item {
                Ok(Inbound::Text(text)) => format!("text {}", &*text),
                Ok(Inbound::Binary(data)) => format!("binary {data:?}"),
                Ok(Inbound::Ping) => "ping".to_owned(),
                Ok(Inbound::Pong) => "pong".to_owned(),
                Ok(Inbound::Close) => "close".to_owned(),
                Ok(Inbound::TooBig) => "too big".to_owned(),
                Ok(Inbound::Violation(frame)) => format!("violation {}", frame.code),
                Ok(_) => "other".to_owned(),
                Err(error) => format!("error {error}"),
            })
            .collect()
            .await;
        (seen, body)
    }

    /// Everything the reader wrote back (pongs, the close echo).
    fn written(body: Body) -> Vec<u8> {
        let mut body = std::pin::pin!(body);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match body.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(Ok(bytes))) => bytes.to_vec(),
            _ => Vec::new(),
        }
    }

    fn conversation() -> Vec<u8> {
        [
            frame(0x81, b"hello"),
            frame(0x89, b"p"),
            frame(0x01, b"ab"),
            frame(0x8a, b""),
            frame(0x80, b"cd"),
            frame(0x82, &[1, 2, 3]),
            frame(0x02, &[4; 200]),
            frame(0x80, &[5]),
            frame(0x88, &1000u16.to_be_bytes()),
        ]
        .concat()
    }

    proptest! {
        /// However the payload is cut into chunks, the same frames come out.
        #[test]
        fn chunking_never_changes_what_is_read(cuts in prop::collection::vec(0usize..600, 0..8)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let bytes = conversation();
            let (seen, _) = runtime.block_on(read(&bytes, &cuts));
            let mut joined = vec![4u8; 200];
            joined.push(5);
            prop_assert_eq!(seen, vec![
                "text hello".to_owned(),
                "ping".to_owned(),
                "pong".to_owned(),
                "text abcd".to_owned(),
                format!("binary {:?}", Bytes::from_static(&[1, 2, 3])),
                format!("binary {:?}", Bytes::from(joined)),
                "close".to_owned(),
            ]);
        }
    }

    proptest! {
        /// Whatever the peer sends, the reader ends without panicking.
        #[test]
        fn any_bytes_are_read_without_panicking(
            frames in prop::collection::vec(
                (any::<u8>(), prop::collection::vec(any::<u8>(), 0..300), any::<bool>()),
                0..6,
            ),
            garbage in prop::collection::vec(any::<u8>(), 0..40),
            cuts in prop::collection::vec(0usize..2000, 0..6),
        ) {
            let mut bytes: Vec<u8> = frames
                .iter()
                .flat_map(|(first, payload, masked)| {
                    let mut frame = frame(*first, payload);
                    if !masked {
                        frame[1] &= 0x7f;
                    }
                    frame
                })
                .collect();
            bytes.extend(garbage);
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (seen, _) = runtime.block_on(read(&bytes, &cuts));
            // A client frame takes at least 6 bytes; the last item may be a violation.
            prop_assert!(seen.len() <= bytes.len() / 6 + 1);
        }
    }

    #[tokio::test]
    async fn pings_and_the_close_are_answered() {
        let (_, body) = read(&conversation(), &[]).await;
        // Server frames are unmasked: a pong with the ping's payload, then the close echo.
        assert_eq!(written(body), [0x8a, 1, b'p', 0x88, 2, 0x03, 0xe8]);
    }

    #[tokio::test]
    async fn frames_before_a_broken_header_are_read() {
        let bytes = [frame(0x81, b"ok"), frame(0xc1, b"rsv1")].concat();
        let (seen, _) = read(&bytes, &[3]).await;
        assert_eq!(seen, ["text ok", "violation 1002"]);
        let bytes = [frame(0x81, b"ok"), frame(0x81, &[b'x'; MAX + 1])].concat();
        let (seen, _) = read(&bytes, &[]).await;
        assert_eq!(seen, ["text ok", "too big"]);
    }

    #[tokio::test]
    async fn bad_text_and_bad_close_codes_close_the_connection() {
        let (seen, _) = read(&frame(0x81, &[0xff, 0xfe]), &[]).await;
        assert_eq!(seen, ["violation 1007"]);
        let (seen, body) = read(&frame(0x88, &1005u16.to_be_bytes()), &[]).await;
        assert_eq!(seen, ["violation 1002"]);
        assert_eq!(
            written(body),
            [0u8; 0],
            "no echo for a code a peer may not send"
        );
    }

    #[tokio::test]
    async fn the_reader_ends_when_actix_web_drops_the_body() {
        let (outlet, body) = pipe(MAX);
        let mut reader = Reader::new(stream::pending(), MAX, outlet);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Pin::new(&mut reader).poll_next(&mut cx).is_pending());
        drop(body);
        assert!(matches!(
            Pin::new(&mut reader).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }
}
