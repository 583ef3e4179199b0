//! Fan-out: R rooms of M members on `/chat`; every member sends K
//! `sendMessage`s and every other member of its room must receive each one.
//! Saturated (as fast as the sockets take them) it measures throughput;
//! paced (a fixed rate per member, the same for every server) it measures
//! delivery latency. The send time travels in the message text.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::try_join_all;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::{percentile, since};
use crate::Error;
use crate::client::{Incoming, Ws, connect, enter, envelope, next_text, now_us};
use crate::process::Running;

/// The shape of a fan-out run.
#[derive(Debug, Clone, Copy)]
pub struct FanoutParams {
    /// R: rooms, all busy at once.
    pub rooms: usize,
    /// M: members per room, one connection each.
    pub members: usize,
    /// K: messages each member sends.
    pub messages: usize,
    /// Messages per second each member sends; `None` sends as fast as the socket takes them.
    pub rate: Option<f64>,
    /// The longest the run may take once sending starts.
    pub timeout: Duration,
}

/// What a fan-out run measured.
#[derive(Debug, Clone)]
pub struct FanoutResult {
    /// Deliveries the chat semantics call for: R·M·(M−1)·K.
    pub expected: u64,
    /// Deliveries that arrived before the timeout.
    pub delivered: u64,
    /// From the first send to the last delivery.
    pub elapsed: Duration,
    /// Median delivery latency (send to receipt).
    pub p50: Duration,
    /// 99th percentile delivery latency.
    pub p99: Duration,
    /// CPU time the server used from the first send to the last delivery.
    pub server_cpu: Duration,
}

impl FanoutResult {
    /// Delivered messages per second.
    pub fn rate(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Server CPU time per delivered message.
    pub fn cpu_per_message(&self) -> Duration {
        self.server_cpu.div_f64(self.delivered.max(1) as f64)
    }

    /// Whether every message reached every member it should have.
    pub fn is_complete(&self) -> bool {
        self.delivered == self.expected
    }
}

/// Filler that brings each message's text to an ordinary chat length.
const FILLER: &str = "the quick brown fox jumps over the lazy dog";

/// Runs the scenario against `server`.
pub(crate) async fn run(server: &Running, params: &FanoutParams) -> Result<FanoutResult, Error> {
    run_across(&[server], params).await
}

/// Runs the scenario against the nodes of a cluster: the members of each
/// room connect to the nodes in turn, so every room spans every node. The
/// server CPU is the nodes' sum.
pub(crate) async fn run_across(
    nodes: &[&Running],
    params: &FanoutParams,
) -> Result<FanoutResult, Error> {
    let FanoutParams {
        rooms,
        members,
        messages,
        rate,
        timeout,
    } = *params;
    let addrs: Vec<SocketAddr> = nodes.iter().map(|node| node.addr()).collect();
    if members < 2 || rooms == 0 || messages == 0 {
        return Err("fan-out needs rooms, two members per room and messages".into());
    }
    let rooms_ws = try_join_all((0..rooms).map(|room| set_up_room(&addrs, room, members))).await?;
    let per_member = ((members - 1) * messages) as u64;
    let deadline = Instant::now() + timeout;
    let mut readers = JoinSet::new();
    let mut senders = Vec::with_capacity(rooms * members);
    for (room, sockets) in rooms_ws.into_iter().enumerate() {
        for (member, ws) in sockets.into_iter().enumerate() {
            let (sink, stream) = ws.split();
            readers.spawn(read(stream, per_member, deadline));
            senders.push((sink, user_id(room, member), room_id(room)));
        }
    }
    let cpu_before = cpu_time(nodes)?;
    let start = now_us();
    let first_send = Instant::now();
    let count = senders.len();
    let mut sending = JoinSet::new();
    for (index, (sink, user, room)) in senders.into_iter().enumerate() {
        // Paced members start spread over one period, so the load is even.
        let pace = rate.map(|rate| {
            let period = Duration::from_secs_f64(1.0 / rate);
            (
                first_send + period.mul_f64(index as f64 / count as f64),
                period,
            )
        });
        sending.spawn(send(sink, user, room, messages, pace, deadline));
    }
    let mut delivered = 0;
    let mut last = start;
    let mut latencies = Vec::with_capacity((per_member as usize) * rooms * members);
    // Every connection stays open until the run is over: members that are
    // done must not leave while others still send (closing is not measured).
    let mut open = Vec::with_capacity(rooms * members);
    while let Some(reading) = readers.join_next().await {
        let (reading, stream) = reading??;
        delivered += reading.latencies.len() as u64;
        last = last.max(reading.last_us);
        latencies.extend(reading.latencies);
        open.push(stream);
    }
    let server_cpu = cpu_time(nodes)?.saturating_sub(cpu_before);
    let mut sinks = Vec::with_capacity(rooms * members);
    while let Some(sent) = sending.join_next().await {
        sinks.push(sent??);
    }
    drop((open, sinks));
    Ok(FanoutResult {
        expected: per_member * (rooms * members) as u64,
        delivered,
        elapsed: since(start, last),
        p50: percentile(&mut latencies, 0.50),
        p99: percentile(&mut latencies, 0.99),
        server_cpu,
    })
}

/// CPU time the nodes used so far, together.
fn cpu_time(nodes: &[&Running]) -> Result<Duration, Error> {
    nodes.iter().map(|node| node.cpu_time()).sum()
}

fn user_id(room: usize, member: usize) -> String {
    format!("f{room}-{member}")
}

fn room_id(room: usize) -> String {
    format!("fan-{room}")
}

/// Connects a room's members: the first creates it, the others join one by
/// one, each waiting for its own `joinedRoom` (sent after every earlier
/// member's), so the room is complete on the server when this returns.
/// Member `i` connects to `addrs[i % addrs.len()]`.
async fn set_up_room(addrs: &[SocketAddr], room: usize, members: usize) -> Result<Vec<Ws>, Error> {
    let mut sockets = Vec::with_capacity(members);
    for member in 0..members {
        let mut ws = connect(addrs[member % addrs.len()], "/chat").await?;
        let message = if member == 0 {
            "createRoom"
        } else {
            "joinRoom"
        };
        enter(&mut ws, message, &user_id(room, member), &room_id(room)).await?;
        sockets.push(ws);
    }
    Ok(sockets)
}

#[derive(Serialize)]
struct Post<'a> {
    #[serde(rename = "userId")]
    user_id: &'a str,
    #[serde(rename = "roomId")]
    room_id: &'a str,
    text: &'a str,
}

/// Sends `messages` posts, at `(first, period)` when paced; gives the sink
/// back. Each post's text starts with its send time ([`now_us`]).
pub(super) async fn send(
    mut sink: SplitSink<Ws, Message>,
    user_id: String,
    room_id: String,
    messages: usize,
    pace: Option<(Instant, Duration)>,
    deadline: Instant,
) -> Result<SplitSink<Ws, Message>, Error> {
    let mut ticks = pace.map(|(first, period)| {
        let mut ticks = tokio::time::interval_at(first, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks
    });
    for _ in 0..messages {
        if let Some(ticks) = &mut ticks {
            tokio::time::timeout_at(deadline, ticks.tick())
                .await
                .map_err(|_| "sending did not finish in time")?;
        }
        let text = format!("{} {FILLER}", now_us());
        let post = Post {
            user_id: &user_id,
            room_id: &room_id,
            text: &text,
        };
        let frame = Message::text(envelope("sendMessage", &post));
        tokio::time::timeout_at(deadline, sink.send(frame))
            .await
            .map_err(|_| "sending did not finish in time")??;
    }
    Ok(sink)
}

/// One member's receipts: the latency of each, and when the last arrived.
struct Reading {
    latencies: Vec<u64>,
    last_us: u64,
}

/// Reads until `expected` messages arrived, the deadline passed, or the
/// connection failed; gives the stream back.
async fn read(
    mut stream: SplitStream<Ws>,
    expected: u64,
    deadline: Instant,
) -> Result<(Reading, SplitStream<Ws>), Error> {
    let mut reading = Reading {
        latencies: Vec::with_capacity(expected as usize),
        last_us: 0,
    };
    while (reading.latencies.len() as u64) < expected {
        let text = match next_text(&mut stream, deadline).await {
            Ok(text) => text,
            Err(error) => {
                // Tell a stalled reader (a frame is there when asked again) from a server that sent nothing.
                let again = Instant::now() + Duration::from_millis(200);
                let late = next_text(&mut stream, again).await.is_ok();
                return Err(format!(
                    "a member got {} of {expected} messages: {error}{}",
                    reading.latencies.len(),
                    if late {
                        " (but a frame was waiting when read again)"
                    } else {
                        ""
                    }
                )
                .into());
            }
        };
        let now = now_us();
        if let Some(sent) = Incoming::parse(&text)?.sent_us() {
            reading.latencies.push(now.saturating_sub(sent));
            reading.last_us = now;
        }
    }
    Ok((reading, stream))
}
