//! The frame pump every adapter shares: socket frames into a session, outbox into the socket.

use std::ops::Deref;
use std::pin::pin;

use futures_util::{Sink, SinkExt, Stream, StreamExt};

use super::peer::{CloseFrame, Outbox, Outgoing};
use super::session::Session;

/// A frame read from the socket, as an adapter hands it to [`serve_connection`].
#[derive(Debug)]
pub enum Inbound<T> {
    /// A text frame.
    Text(T),
    /// A binary frame of this many bytes (refused: the protocol is JSON text).
    Binary(usize),
    /// A frame over the transport's own size limit was refused by the transport.
    TooBig,
    /// The peer broke the WebSocket protocol (RFC 6455); the connection closes
    /// with this frame (1002, or 1007 for text that is not UTF-8).
    Violation(CloseFrame),
    /// The peer closed the connection.
    Close,
}

/// How the pump ended.
enum End {
    /// The peer closed, or the socket failed.
    PeerGone,
    /// The server must close the connection with this frame.
    Close(CloseFrame),
    /// The outbox wrote a close frame, or the socket stopped taking frames.
    WriterDone,
}

/// Runs one connection until either side closes it.
///
/// Reads frames from `inbound` into the session one at a time (so a
/// connection's messages are handled in order) while writing the outbox to
/// `outbound`. A frame over the size limit closes the connection with 1009,
/// a protocol violation with the adapter's close frame.
/// The session's close hook runs once at the end, however the connection ended.
pub async fn serve_connection<T, E, In, Out>(
    mut session: Session,
    mut outbox: Outbox,
    inbound: In,
    outbound: Out,
) where
    T: Deref<Target = str>,
    E: std::error::Error,
    In: Stream<Item = Result<Inbound<T>, E>>,
    Out: Sink<Outgoing>,
{
    let max_frame_bytes = session.max_frame_bytes();
    let connection = session.connection_id();
    tracing::debug!(%connection, role = session.role(), "connection opened");
    let mut outbound = pin!(outbound);
    let end = {
        let reader = pin!(async {
            let mut inbound = pin!(inbound);
            while let Some(frame) = inbound.next().await {
                match frame {
                    Ok(Inbound::Text(text)) if text.len() > max_frame_bytes => {
                        return End::Close(too_big(max_frame_bytes));
                    }
                    Ok(Inbound::Text(text)) => {
                        // A refused frame was answered with an error frame already.
                        let _ = session.handle_text(&text).await;
                    }
                    Ok(Inbound::Binary(len)) if len > max_frame_bytes => {
                        return End::Close(too_big(max_frame_bytes));
                    }
                    Ok(Inbound::Binary(_)) => {
                        session.handle_binary().await;
                    }
                    Ok(Inbound::TooBig) => return End::Close(too_big(max_frame_bytes)),
                    Ok(Inbound::Violation(frame)) => return End::Close(frame),
                    Ok(Inbound::Close) => return End::PeerGone,
                    Err(error) => {
                        session.error(&error);
                        return End::PeerGone;
                    }
                }
            }
            End::PeerGone
        });
        let writer = pin!(async {
            while let Some(first) = outbox.recv().await {
                let mut next = Some(first);
                while let Some(frame) = next.take() {
                    let closing = matches!(frame, Outgoing::Close(_));
                    if outbound.feed(frame).await.is_err() {
                        return End::WriterDone;
                    }
                    if closing {
                        let _ = outbound.flush().await;
                        return End::WriterDone;
                    }
                    next = outbox.try_recv();
                }
                if outbound.flush().await.is_err() {
                    return End::WriterDone;
                }
            }
            End::WriterDone
        });
        tokio::select! {
            end = reader => end,
            end = writer => end,
        }
    };
    match &end {
        End::Close(frame) => {
            tracing::debug!(%connection, code = frame.code, reason = %frame.reason, "closing connection")
        }
        End::PeerGone => tracing::debug!(%connection, "peer closed the connection"),
        End::WriterDone => tracing::debug!(%connection, "connection closed by the server"),
    }
    match end {
        End::Close(frame) => {
            let _ = outbound.send(Outgoing::Close(frame)).await;
        }
        End::PeerGone => {
            let _ = outbound.close().await;
        }
        End::WriterDone => {}
    }
    session.close().await;
}

fn too_big(max_frame_bytes: usize) -> CloseFrame {
    CloseFrame::new(
        CloseFrame::TOO_BIG,
        format!("frame larger than {max_frame_bytes} bytes"),
    )
}
