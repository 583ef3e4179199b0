//! One generator process of the scale scenario (`openws-bench scale-worker`,
//! started by the harness): it opens its share of the clients, keeps reading
//! all of them, and reports each broadcast as its clients received it. Its
//! orders come on stdin, its reports go to stdout (see [`super::wire`]); it
//! exits when told to or when stdin ends (the harness is gone).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::stream;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Stdout};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::wire::{Order, ROUND_TIMEOUT, Report, RoundReport};
use crate::Error;
use crate::client::{CONNECTING_AT_ONCE, Incoming, WAIT, Ws, connect_lean, next_text, wall_us};

/// The route the scale clients connect to.
pub(super) const PATH: &str = "/scale";

/// One generator's share of the clients.
#[derive(Debug, Clone)]
pub(crate) struct WorkerShare {
    /// The nodes; client `i` connects to `nodes[i % nodes.len()]`.
    pub(crate) nodes: Vec<SocketAddr>,
    /// The index of this generator's first client among all clients.
    pub(crate) first: usize,
    /// How many clients this generator opens.
    pub(crate) count: usize,
    /// The local addresses the clients connect from: client `i` from
    /// `sources[i % sources.len()]` (any address when empty).
    pub(crate) sources: Vec<IpAddr>,
}

/// Runs a generator until it is told to stop or its stdin ends.
pub(crate) fn run(share: WorkerShare) -> Result<(), Error> {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    if share.nodes.is_empty() {
        return Err("a generator needs at least one node".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve_orders(share))
}

async fn serve_orders(share: WorkerShare) -> Result<(), Error> {
    let mut out = tokio::io::stdout();
    let mut orders = BufReader::new(tokio::io::stdin()).lines();
    let arrivals = Arc::new(Arrivals::new(share.count));
    // Aborted (and the sockets closed) when this returns.
    let mut readers = JoinSet::new();
    say(&mut out, &Report::Ready).await?;
    while let Some(line) = orders.next_line().await? {
        let report = match line.parse::<Order>() {
            Ok(Order::Open) => match open(&share, &arrivals, &mut readers).await {
                Ok(()) => Report::Opened(readers.len()),
                Err(error) => Report::Failed(format!("opening clients: {error}")),
            },
            Ok(Order::Collect(round)) => Report::Round(arrivals.collect(round).await),
            Ok(Order::Stop) => break,
            Err(error) => Report::Failed(error),
        };
        say(&mut out, &report).await?;
    }
    Ok(())
}

async fn say(out: &mut Stdout, report: &Report) -> Result<(), Error> {
    out.write_all(format!("{report}\n").as_bytes()).await?;
    out.flush().await?;
    Ok(())
}

/// Opens the share's clients, a bounded number at a time; each starts being
/// read as soon as it is open (so it answers the server's pings).
async fn open(
    share: &WorkerShare,
    arrivals: &Arc<Arrivals>,
    readers: &mut JoinSet<()>,
) -> Result<(), Error> {
    let clients = (share.first..share.first + share.count).map(|index| {
        let source =
            (!share.sources.is_empty()).then(|| share.sources[index % share.sources.len()]);
        open_client(share.nodes[index % share.nodes.len()], source)
    });
    let mut opening = stream::iter(clients).buffer_unordered(CONNECTING_AT_ONCE);
    while let Some(ws) = opening.next().await {
        readers.spawn(receive(ws?, Arc::clone(arrivals)));
    }
    Ok(())
}

/// Connects one client and waits for the server's greeting, which it sends
/// once the connection is in the hub.
pub(super) async fn open_client(node: SocketAddr, source: Option<IpAddr>) -> Result<Ws, Error> {
    let mut ws = connect_lean(node, PATH, source).await?;
    let deadline = Instant::now() + WAIT;
    loop {
        let text = next_text(&mut ws, deadline).await?;
        if Incoming::parse(&text)?.message_name.as_deref() == Some("joinedRoom") {
            return Ok(ws);
        }
    }
}

/// One client: records every broadcast it reads, in order.
async fn receive(mut ws: Ws, arrivals: Arc<Arrivals>) {
    let mut last_round = 0;
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let at_us = wall_us();
        let Some((round, sent_us)) = broadcast_stamp(&text) else {
            continue;
        };
        if round <= last_round {
            arrivals.duplicates.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        last_round = round;
        arrivals.record(round, at_us.saturating_sub(sent_us));
    }
    arrivals.closed.fetch_add(1, Ordering::Relaxed);
    arrivals.changed.notify_one();
}

/// The round and send time (µs since the epoch) a broadcast's text carries.
pub(super) fn broadcast_stamp(text: &str) -> Option<(u64, u64)> {
    let incoming = Incoming::parse(text).ok()?;
    let (round, sent) = incoming.received_text()?.split_once(' ')?;
    Some((round.parse().ok()?, sent.parse().ok()?))
}

/// The broadcasts this generator's clients received.
struct Arrivals {
    clients: usize,
    latencies_us: Mutex<HashMap<u64, Vec<u64>>>,
    duplicates: AtomicUsize,
    closed: AtomicUsize,
    changed: Notify,
}

impl Arrivals {
    fn new(clients: usize) -> Self {
        Self {
            clients,
            latencies_us: Mutex::default(),
            duplicates: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
            changed: Notify::new(),
        }
    }

    fn record(&self, round: u64, latency_us: u64) {
        let received = {
            let mut rounds = self.latencies_us.lock().unwrap_or_else(|e| e.into_inner());
            let latencies = rounds.entry(round).or_default();
            latencies.push(latency_us);
            latencies.len()
        };
        if received == self.clients {
            self.changed.notify_one();
        }
    }

    fn received(&self, round: u64) -> usize {
        let rounds = self.latencies_us.lock().unwrap_or_else(|e| e.into_inner());
        rounds.get(&round).map_or(0, Vec::len)
    }

    /// Waits until every client that is still connected has `round` (at most
    /// [`ROUND_TIMEOUT`]), then hands over its receipts.
    async fn collect(&self, round: u64) -> RoundReport {
        let deadline = Instant::now() + ROUND_TIMEOUT;
        loop {
            let changed = self.changed.notified();
            let closed = self.closed.load(Ordering::Relaxed);
            if self.received(round) + closed >= self.clients
                || tokio::time::timeout_at(deadline, changed).await.is_err()
            {
                break;
            }
        }
        let mut rounds = self.latencies_us.lock().unwrap_or_else(|e| e.into_inner());
        RoundReport {
            round,
            closed: self.closed.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            latencies_us: rounds.remove(&round).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_stamp_of_a_broadcast_and_nothing_else() {
        let frame = |text: &str| {
            serde_json::json!({
                "fromRole": "server",
                "messageName": "receivedMessage",
                "payload": {"roomId": "*", "senderId": "t", "text": text},
            })
            .to_string()
        };
        assert_eq!(
            broadcast_stamp(&frame("3 1764150000123456")),
            Some((3, 1_764_150_000_123_456))
        );
        assert_eq!(broadcast_stamp(&frame("3")), None);
        assert_eq!(broadcast_stamp(&frame("x 12")), None);
        let greeting = r#"{"fromRole":"server","messageName":"joinedRoom","payload":{"roomId":"*","joinerId":"a"}}"#;
        assert_eq!(broadcast_stamp(greeting), None);
        assert_eq!(broadcast_stamp("not json"), None);
    }
}
