//! The frame pump every adapter shares: socket frames into a session, outbox into the socket.

use std::future::pending;
use std::ops::Deref;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::config::SessionConfig;
use super::connection::{CloseFrame, Connection, Outbox, Outgoing};
use super::rate::{TokenBucket, Verdict};
use super::session::Session;
use super::wire::{ErrorCode, FrameError};

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
    /// The peer broke the WebSocket protocol (RFC 6455); the connection closes
    /// with this frame (1002, or 1007 for text that is not UTF-8).
    Violation(CloseFrame),
    /// A ping from the peer (the transport answers it): a sign of life.
    Ping,
    /// A pong from the peer, answering a keepalive ping.
    Pong,
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
/// `outbound`. A frame over the size limit closes the connection with 1009,
/// a protocol violation with the adapter's close frame.
///
/// A connection that is aborted (a slow consumer, [`Peer::abort`](crate::Peer::abort)),
/// or that was closed with [`Peer::close`](crate::Peer::close) and does not
/// take its queued frames within the send timeout, is dropped even when a
/// socket write never completes: the server tries to write the close frame
/// for at most [`SessionConfig::close_grace`](crate::SessionConfig::close_grace),
/// then stops. The session's open hooks run first and its close hooks once
/// at the end, however the connection ended.
///
/// The pump also keeps the connection honest: it pings every
/// [`SessionConfig::ping_interval`] and drops a peer that stays silent for
/// [`SessionConfig::max_missed_pings`] intervals, closes one idle
/// past [`SessionConfig::idle_timeout`], applies the inbound
/// [`SessionConfig::rate_limit`], and on a graceful shutdown of the bindings
/// closes with 1001 after the frames already queued.
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
    let gate = std::sync::Arc::clone(session.gate());
    tracing::debug!(connection = %connection.id(), role = session.role(), "connection opened");
    session.ready().await;
    let liveness = Liveness::new();
    let ping_due = Notify::new();
    let mut bucket = config.rate_limit.map(TokenBucket::new);
    let mut outbound = pin!(outbound);
    let end = {
        let reader = pin!(async {
            let mut inbound = pin!(inbound);
            while let Some(frame) = inbound.next().await {
                liveness.heard();
                let message = match frame {
                    Ok(Inbound::Ping | Inbound::Pong) => continue,
                    Ok(Inbound::Close) => return End::PeerGone,
                    Err(error) => {
                        session.error(&error);
                        return End::PeerGone;
                    }
                    Ok(Inbound::TooBig) => return End::Close(too_big(max_frame_bytes)),
                    Ok(Inbound::Violation(frame)) => return End::Close(frame),
                    Ok(Inbound::Text(text)) if text.len() > max_frame_bytes => {
                        return End::Close(too_big(max_frame_bytes));
                    }
                    Ok(Inbound::Binary(data)) if data.len() > max_frame_bytes => {
                        return End::Close(too_big(max_frame_bytes));
                    }
                    Ok(message) => message,
                };
                liveness.message();
                // The futures of a frame's handling are boxed: held inline, the
                // largest of them (about 1 KiB) would sit in every idle
                // connection's task. One allocation per frame is the price.
                match bucket.as_mut().map(TokenBucket::take) {
                    Some(Verdict::Refuse) => {
                        Box::pin(session.refuse(rate_limited(), None)).await;
                        continue;
                    }
                    Some(Verdict::Close) => {
                        // The error frames already queued go out before the close frame.
                        connection.close(flood());
                        return pending().await;
                    }
                    Some(Verdict::Pass) | None => {}
                }
                match message {
                    Inbound::Text(text) => {
                        // A refused frame was answered with an error frame already.
                        let _ = Box::pin(session.handle_text(&text)).await;
                    }
                    Inbound::Binary(data) => {
                        // A refused frame was answered with an error frame already.
                        let _ = Box::pin(session.handle_binary(data)).await;
                    }
                    // Answered before the rate limit.
                    Inbound::TooBig
                    | Inbound::Violation(_)
                    | Inbound::Ping
                    | Inbound::Pong
                    | Inbound::Close => {}
                }
            }
            End::PeerGone
        });
        let writer = pin!(write_outbox(&mut outbox, outbound.as_mut(), &ping_due));
        let shutdown = async {
            gate.shutting_down().await;
            connection.close(CloseFrame::new(
                CloseFrame::GOING_AWAY,
                "the server is shutting down",
            ));
            pending::<End>().await
        };
        tokio::select! {
            end = reader => end,
            end = writer => end,
            () = connection.aborted() => End::Abort,
            () = drain_deadline(&connection, config.send_timeout) => End::Abort,
            frame = keepalive(&config, &liveness, &ping_due) => End::Close(frame),
            end = idle(config.idle_timeout, &liveness, &connection) => end,
            end = shutdown => end,
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

/// Writes the outbox to the socket, batching what is ready before a flush,
/// and a ping whenever one is due.
async fn write_outbox<Out: Sink<Outgoing>>(
    outbox: &mut Outbox,
    mut outbound: std::pin::Pin<&mut Out>,
    ping_due: &Notify,
) -> End {
    loop {
        let first = tokio::select! {
            frame = outbox.recv() => match frame {
                Some(frame) => frame,
                None => return End::WriterDone,
            },
            () = ping_due.notified() => Outgoing::Ping,
        };
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
}

/// When the peer was last heard from, as the reader records it for the keepalive.
struct Liveness {
    started: Instant,
    /// Frames of any kind heard so far.
    frames: AtomicU64,
    /// Milliseconds after `started` of the last message (text or binary frame).
    last_message_ms: AtomicU64,
}

impl Liveness {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            frames: AtomicU64::new(0),
            last_message_ms: AtomicU64::new(0),
        }
    }

    fn heard(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    fn message(&self) {
        let now = self.started.elapsed().as_millis();
        self.last_message_ms
            .store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    fn since_last_message(&self) -> Duration {
        let last = Duration::from_millis(self.last_message_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Asks for a ping every interval; resolves with the close frame for a peer
/// that let `max_missed_pings` intervals (at least one) in a row pass in
/// silence.
///
/// A tick that heard a frame knows only that it came after the tick before;
/// counting silent ticks from there, the drop comes between `max_missed` and
/// `max_missed + 1` intervals after the peer's last frame, within
/// [`SessionConfig::dead_peer_bound`].
async fn keepalive(config: &SessionConfig, liveness: &Liveness, ping_due: &Notify) -> CloseFrame {
    let Some(interval) = config.ping_interval else {
        return pending().await;
    };
    let mut ticks = tokio::time::interval_at(Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = liveness.frames();
    let mut silent = 0u32;
    loop {
        ticks.tick().await;
        let heard = liveness.frames();
        if heard == seen {
            silent += 1;
        } else {
            silent = 0;
            seen = heard;
        }
        if silent >= config.max_missed_pings.max(1) {
            return CloseFrame::new(CloseFrame::POLICY, "keepalive: no answer to pings");
        }
        ping_due.notify_one();
    }
}

/// Closes, after its queued frames, a connection that sent no message for `limit`.
async fn idle(limit: Option<Duration>, liveness: &Liveness, connection: &Connection) -> End {
    if let Some(limit) = limit {
        loop {
            let quiet = liveness.since_last_message();
            if quiet >= limit {
                connection.close(CloseFrame::new(CloseFrame::NORMAL, "idle timeout"));
                break;
            }
            tokio::time::sleep(limit - quiet).await;
        }
    }
    pending().await
}

fn rate_limited() -> FrameError {
    FrameError::new(
        ErrorCode::RateLimited,
        "too many frames: this one was dropped; slow down",
    )
}

fn flood() -> CloseFrame {
    CloseFrame::new(
        CloseFrame::POLICY,
        "rate limit: too many frames refused within a second",
    )
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
