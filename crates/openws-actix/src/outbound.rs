//! The write side of an upgraded connection: frames encoded straight into the
//! response body that actix-web writes to the socket.
//!
//! [`pipe`] gives two ends that share one buffer. The pump writes to the
//! [`Outlet`], a `Sink<Outgoing>` that encodes each frame into the buffer; a
//! flush wakes the [`Body`], the 101 response's body, which hands whatever the
//! buffer holds by then to actix-web as one chunk. No channel hop and no
//! allocation per frame; the pump waits only when actix-web falls behind by
//! the high-water mark.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_http::ws::{CloseCode, CloseReason, OpCode, Parser};
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::{Bytes, BytesMut};
use futures_util::Sink;
use openws_core::{CloseFrame, Outgoing};

/// A control frame's payload may not exceed 125 bytes (RFC 6455, section 5.5),
/// so a close frame's reason may not exceed 123.
const MAX_CLOSE_REASON_BYTES: usize = 123;
/// What an empty buffer reserves beyond the high-water mark.
const SLACK: usize = 1024;
/// The most the pump writes ahead of actix-web. actix-http's HTTP/1 dispatcher
/// takes body chunks while its write buffer holds less than 32 KiB, and keeps
/// that buffer, grown to fit, for the connection's life; chunks of half that
/// keep it small and cost no more CPU in the fan-out benchmark.
pub(crate) const MAX_CHUNK: usize = 16 * 1024;

/// The writing end of the connection is gone.
#[derive(Debug)]
pub(crate) struct Closed;

/// What the two ends share.
#[derive(Debug, Default)]
struct Shared {
    /// How many bytes may wait for actix-web before the writer waits too.
    high_water: usize,
    /// Encoded frames actix-web has not taken yet. Empty (and unallocated) when idle.
    bytes: BytesMut,
    /// No frame follows: a close frame was written, or the writer closed.
    finished: bool,
    /// actix-web dropped the body: the connection is gone.
    gone: bool,
    /// The pump's writer, waiting for room.
    writer: Option<Waker>,
    /// The pump's reader, told when the connection is gone.
    reader: Option<Waker>,
    /// The body, waiting for bytes.
    body: Option<Waker>,
}

impl Shared {
    /// Encodes `frame` unless the connection is finishing or gone.
    fn write(&mut self, frame: Frame<'_>) -> Result<(), Closed> {
        if self.finished || self.gone {
            return Err(Closed);
        }
        if self.bytes.capacity() == 0 {
            // Room for a whole batch, and for the frame that crosses the mark:
            // growing the buffer frame by frame copied it over and over.
            self.bytes.reserve(self.high_water + SLACK);
        }
        match frame {
            Frame::Data(op, payload) => {
                Parser::write_message(&mut self.bytes, payload, op, true, false)
            }
            Frame::Close(reason) => {
                Parser::write_close(&mut self.bytes, reason, false);
                self.finished = true;
            }
        }
        Ok(())
    }

    /// Encodes `frame` and hands it to actix-web at once.
    fn write_now(&mut self, frame: Frame<'_>) -> Option<Waker> {
        self.write(frame).ok().and(self.body.take())
    }

    /// Hands what was written to the body: the body is woken (by the caller,
    /// see [`wake`]) if it waits. Fails once the connection is gone.
    fn flush(&mut self) -> (Result<(), Closed>, Option<Waker>) {
        if self.gone {
            return (Err(Closed), None);
        }
        (Ok(()), self.body.take())
    }
}

/// Wakes `waker`, if any: called once the shared state is no longer borrowed,
/// so that no waker runs into a borrow.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A frame to encode.
enum Frame<'a> {
    Data(OpCode, &'a [u8]),
    Close(Option<CloseReason>),
}

/// A new pipe, the pump's end and the response body, that lets the pump
/// write ahead of actix-web by up to `high_water` bytes (at most [`MAX_CHUNK`]).
pub(crate) fn pipe(high_water: usize) -> (Outlet, Body) {
    let high_water = high_water.min(MAX_CHUNK);
    let shared = Rc::new(RefCell::new(Shared {
        high_water,
        ..Shared::default()
    }));
    (
        Outlet {
            shared: Rc::clone(&shared),
        },
        Body { shared },
    )
}

/// The pump's end: a sink of frames (and, for the reader, a way to answer
/// pings and the closing handshake between them).
#[derive(Debug, Clone)]
pub(crate) struct Outlet {
    shared: Rc<RefCell<Shared>>,
}

impl Outlet {
    /// Answers a ping; handed to actix-web at once.
    pub(crate) fn pong(&self, payload: &[u8]) {
        let body = self
            .shared
            .borrow_mut()
            .write_now(Frame::Data(OpCode::Pong, payload));
        wake(body);
    }

    /// Echoes the peer's close frame (RFC 6455, section 5.5.1); nothing follows it.
    pub(crate) fn echo_close(&self, reason: Option<CloseReason>) {
        let body = self.shared.borrow_mut().write_now(Frame::Close(reason));
        wake(body);
    }

    /// Whether actix-web dropped the connection; if not, `cx` is woken when it does.
    pub(crate) fn poll_gone(&self, cx: &Context<'_>) -> bool {
        let mut shared = self.shared.borrow_mut();
        if !shared.gone {
            register(&mut shared.reader, cx);
        }
        shared.gone
    }
}

impl Sink<Outgoing> for Outlet {
    type Error = Closed;

    /// Pending while [`Shared::high_water`] bytes wait for actix-web to take them.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let body = {
            let mut shared = self.shared.borrow_mut();
            if shared.finished || shared.gone {
                return Poll::Ready(Err(Closed));
            }
            if shared.bytes.is_empty() || shared.bytes.len() < shared.high_water {
                return Poll::Ready(Ok(()));
            }
            register(&mut shared.writer, cx);
            shared.body.take()
        };
        wake(body);
        Poll::Pending
    }

    fn start_send(self: Pin<&mut Self>, frame: Outgoing) -> Result<(), Closed> {
        let mut shared = self.shared.borrow_mut();
        match frame {
            Outgoing::Text(text) => shared.write(Frame::Data(OpCode::Text, &text)),
            Outgoing::Close(frame) => shared.write(Frame::Close(Some(close_reason(frame)))),
            Outgoing::Ping => shared.write(Frame::Data(OpCode::Ping, &[])),
            _ => Err(Closed),
        }
    }

    /// Does not wait for actix-web: the body takes the bytes when the
    /// dispatcher next polls it, and frames the pump feeds meanwhile join them.
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let (flushed, body) = self.shared.borrow_mut().flush();
        wake(body);
        Poll::Ready(flushed)
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let (flushed, body) = {
            let mut shared = self.shared.borrow_mut();
            shared.finished = true;
            shared.flush()
        };
        wake(body);
        Poll::Ready(flushed)
    }
}

impl Drop for Outlet {
    fn drop(&mut self) {
        // The body ends once no outlet is left (it counts them): let it look.
        let body = self
            .shared
            .try_borrow_mut()
            .ok()
            .and_then(|mut shared| shared.body.take());
        wake(body);
    }
}

/// The 101 response's body: the bytes the pump encoded, as they come.
#[derive(Debug)]
pub(crate) struct Body {
    shared: Rc<RefCell<Shared>>,
}

impl MessageBody for Body {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let writers_left = Rc::strong_count(&self.shared) > 1;
        let (chunk, writer) = {
            let mut shared = self.shared.borrow_mut();
            if shared.bytes.is_empty() {
                if shared.finished || !writers_left {
                    return Poll::Ready(None);
                }
                register(&mut shared.body, cx);
                return Poll::Pending;
            }
            // Taken whole, so an idle connection keeps no buffer.
            let chunk = std::mem::take(&mut shared.bytes).freeze();
            (chunk, shared.writer.take())
        };
        wake(writer);
        Poll::Ready(Some(Ok(chunk)))
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        let wakers = self.shared.try_borrow_mut().ok().map(|mut shared| {
            shared.gone = true;
            [shared.writer.take(), shared.reader.take()]
        });
        wakers.into_iter().flatten().for_each(wake);
    }
}

/// Stores `cx`'s waker in `slot`, cloning it only when it changed.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// `frame` as actix-http writes it, its reason cut to what a control frame holds.
fn close_reason(frame: CloseFrame) -> CloseReason {
    let mut description = frame.reason;
    if description.len() > MAX_CLOSE_REASON_BYTES {
        let mut end = MAX_CLOSE_REASON_BYTES;
        while !description.is_char_boundary(end) {
            end -= 1;
        }
        description.truncate(end);
    }
    CloseReason {
        code: CloseCode::from(frame.code),
        description: Some(description),
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;

    fn feed(outlet: &mut Outlet, frame: Outgoing) {
        let mut cx = Context::from_waker(Waker::noop());
        let ready = Pin::new(&mut *outlet).poll_ready(&mut cx);
        assert!(matches!(ready, Poll::Ready(Ok(()))));
        Pin::new(outlet).start_send(frame).unwrap();
    }

    fn flush(outlet: &mut Outlet) -> Poll<Result<(), Closed>> {
        Pin::new(outlet).poll_flush(&mut Context::from_waker(Waker::noop()))
    }

    fn next(body: &mut Body) -> Poll<Option<Bytes>> {
        let mut cx = Context::from_waker(Waker::noop());
        Pin::new(body)
            .poll_next(&mut cx)
            .map(|chunk| chunk.map(|chunk| chunk.unwrap()))
    }

    /// The frames in `bytes` as a client parses them: opcode and payload.
    fn frames(bytes: &[u8]) -> Vec<(OpCode, Vec<u8>)> {
        let mut bytes = BytesMut::from(bytes);
        let mut frames = Vec::new();
        while let Some((fin, opcode, payload)) = Parser::parse(&mut bytes, false, 1 << 20).unwrap()
        {
            assert!(fin);
            frames.push((opcode, payload.map(|p| p.to_vec()).unwrap_or_default()));
        }
        assert!(bytes.is_empty());
        frames
    }

    fn text(text: &str) -> Outgoing {
        Outgoing::Text(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn frames_written_before_actix_web_polls_leave_as_one_chunk() {
        let (mut outlet, mut body) = pipe(1024);
        assert!(next(&mut body).is_pending());
        feed(&mut outlet, text("one"));
        feed(&mut outlet, text("two"));
        assert!(matches!(flush(&mut outlet), Poll::Ready(Ok(()))));
        feed(&mut outlet, Outgoing::Ping);
        let Poll::Ready(Some(chunk)) = next(&mut body) else {
            panic!("a chunk")
        };
        assert_eq!(
            frames(&chunk),
            [
                (OpCode::Text, b"one".to_vec()),
                (OpCode::Text, b"two".to_vec()),
                (OpCode::Ping, vec![]),
            ]
        );
        assert!(next(&mut body).is_pending());
    }

    #[test]
    fn the_writer_waits_past_the_high_water_mark() {
        let (mut outlet, mut body) = pipe(8);
        feed(&mut outlet, text("more than eight"));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut outlet).poll_ready(&mut cx).is_pending());
        assert!(matches!(next(&mut body), Poll::Ready(Some(_))));
        feed(&mut outlet, text("again"));
    }

    #[test]
    fn the_body_ends_after_a_close_frame_or_without_writers() {
        let (mut outlet, mut body) = pipe(1024);
        let reason = "é".repeat(100);
        feed(&mut outlet, Outgoing::Close(CloseFrame::new(1008, reason)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            Pin::new(&mut outlet).poll_ready(&mut cx),
            Poll::Ready(Err(Closed))
        ));
        let Poll::Ready(Some(chunk)) = next(&mut body) else {
            panic!("the close frame")
        };
        let [(OpCode::Close, payload)] = &frames(&chunk)[..] else {
            panic!("one close frame")
        };
        assert!(payload.len() <= 125, "a control frame holds 125 bytes");
        assert_eq!(payload[..2], 1008u16.to_be_bytes());
        assert!(
            std::str::from_utf8(&payload[2..]).is_ok(),
            "cut on a char boundary"
        );
        assert!(matches!(next(&mut body), Poll::Ready(None)));

        let (outlet, mut body) = pipe(1024);
        assert!(next(&mut body).is_pending());
        drop(outlet);
        assert!(matches!(next(&mut body), Poll::Ready(None)));
    }

    #[test]
    fn a_dropped_body_fails_the_writer() {
        let (mut outlet, body) = pipe(1024);
        feed(&mut outlet, text("lost"));
        drop(body);
        assert!(matches!(flush(&mut outlet), Poll::Ready(Err(Closed))));
        assert!(outlet.poll_gone(&Context::from_waker(Waker::noop())));
    }
}
