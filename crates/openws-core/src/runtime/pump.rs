//! The frame pump every adapter shares: socket frames into a session, outbox into the socket.

use std::ops::Deref;
use std::pin::pin;
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};

use super::connection::{CloseFrame, Connection, Outbox, Outgoing};
use super::session::Session;

/// A frame read from the socket, as an adapter hands it to [`serve_connection`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Inbound<T> {
    /// A text frame.
    Text(T),
    /// A binary frame (refused with `bad_frame` unless the network has a binary handler).
    Binary(bytes::Bytes),
    /// A frame over the transport's own size limit was refused by the transport.
    TooBig,
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
    /// The connection was aborted (or did not drain in time): close now.
    Abort,
}

/// Runs one connection until either side closes it.
///
/// Reads frames from `inbound` into the session one at a time (so a
/// connection's messages are handled in order) while writing the outbox to
/// `outbound`. A frame over the size limit closes the connection with 1009.
///
/// A connection that is aborted (a slow consumer, [`Peer::abort`](crate::Peer::abort)),
/// or that was closed with [`Peer::close`](crate::Peer::close) and does not
/// take its queued frames within the send timeout, is dropped even when a
/// socket write never completes: the server tries to write the close frame
/// for at most [`SessionConfig::close_grace`](crate::SessionConfig::close_grace),
/// then stops. The session's open hooks run first and its close hooks once
/// at the end, however the connection ended.
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
    let config = session.config().clone();
    let max_frame_bytes = config.max_frame_bytes;
    let connection = std::sync::Arc::clone(session.connection());
    tracing::debug!(connection = %connection.id(), role = session.role(), "connection opened");
    session.ready().await;
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
                    Ok(Inbound::Binary(data)) if data.len() > max_frame_bytes => {
                        return End::Close(too_big(max_frame_bytes));
                    }
                    Ok(Inbound::Binary(data)) => {
                        // A refused frame was answered with an error frame already.
                        let _ = session.handle_binary(data).await;
                    }
                    Ok(Inbound::TooBig) => return End::Close(too_big(max_frame_bytes)),
                    Ok(Inbound::Close) => return End::PeerGone,
                    Err(error) => {
                        session.error(&error);
                        return End::PeerGone;
                    }
                }
            }
            End::PeerGone
        });
        let writer = pin!(write_outbox(&mut outbox, outbound.as_mut()));
        tokio::select! {
            end = reader => end,
            end = writer => end,
            () = connection.aborted() => End::Abort,
            () = drain_deadline(&connection, config.send_timeout) => End::Abort,
        }
    };
    match &end {
        End::Close(frame) => {
            tracing::debug!(connection = %connection.id(), code = frame.code, reason = %frame.reason, "closing connection")
        }
        End::PeerGone => {
            tracing::debug!(connection = %connection.id(), "peer closed the connection")
        }
        End::WriterDone => {
            tracing::debug!(connection = %connection.id(), "connection closed by the server")
        }
        End::Abort => {
            tracing::debug!(connection = %connection.id(), "connection dropped by the server")
        }
    }
    let last_words = match end {
        End::Close(frame) => Some(frame),
        End::Abort => connection.take_close_frame(),
        End::PeerGone => {
            let _ = tokio::time::timeout(config.close_grace, outbound.close()).await;
            None
        }
        End::WriterDone => None,
    };
    if let Some(frame) = last_words {
        let _ =
            tokio::time::timeout(config.close_grace, outbound.send(Outgoing::Close(frame))).await;
    }
    session.close().await;
}

/// Writes the outbox to the socket, batching what is ready before a flush.
async fn write_outbox<Out: Sink<Outgoing>>(
    outbox: &mut Outbox,
    mut outbound: std::pin::Pin<&mut Out>,
) -> End {
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
}

/// Resolves when a connection asked to close gracefully has not finished
/// writing its queue and close frame within `limit`.
async fn drain_deadline(connection: &Connection, limit: Duration) {
    connection.closing().await;
    tokio::time::sleep(limit).await;
}

fn too_big(max_frame_bytes: usize) -> CloseFrame {
    CloseFrame::new(
        CloseFrame::TOO_BIG,
        format!("frame larger than {max_frame_bytes} bytes"),
    )
}
