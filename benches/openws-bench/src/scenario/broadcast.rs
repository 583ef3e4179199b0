//! Broadcast round trip, the method of websocket-shootout: N clients are
//! connected to `/bench`; one more client sends `broadcast` and the round
//! ends when the last of the N has received it. N grows in steps until the
//! 95th percentile passes the target.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::percentile;
use crate::Error;
use crate::client::{Incoming, Ws, connect, enter, envelope, now_us, open_users};
use crate::process::Running;

/// The shape of a broadcast ramp.
#[derive(Debug, Clone)]
pub struct BroadcastParams {
    /// N at each step, ascending; clients of earlier steps stay connected.
    pub steps: Vec<usize>,
    /// Measured broadcasts per step (two more warm up first).
    pub rounds: usize,
    /// The 95th percentile a step must stay under.
    pub target: Duration,
    /// The longest one broadcast may take to reach everyone.
    pub round_timeout: Duration,
    /// The longest the whole ramp may take; later steps are skipped.
    pub budget: Duration,
}

/// One step of the ramp.
#[derive(Debug, Clone)]
pub struct BroadcastStep {
    /// N: clients that must receive each broadcast.
    pub clients: usize,
    /// Broadcasts measured.
    pub rounds: usize,
    /// Broadcasts that reached all N within the round timeout.
    pub completed: usize,
    /// Median round trip.
    pub p50: Duration,
    /// 95th percentile round trip (a round that timed out counts as the timeout).
    pub p95: Duration,
    /// CPU time the server used during the measured broadcasts.
    pub server_cpu: Duration,
}

/// What a broadcast ramp measured.
#[derive(Debug, Clone)]
pub struct BroadcastResult {
    /// The p95 target of the ramp.
    pub target: Duration,
    /// The steps run, in order.
    pub steps: Vec<BroadcastStep>,
    /// Why the ramp ended before its last step, if it did.
    pub stopped: Option<String>,
}

impl BroadcastStep {
    /// Server CPU time per delivered broadcast frame.
    pub fn cpu_per_delivery(&self) -> Duration {
        self.server_cpu
            .div_f64((self.rounds * self.clients).max(1) as f64)
    }

    fn within(&self, target: Duration) -> bool {
        self.completed == self.rounds && self.p95 < target
    }
}

impl BroadcastResult {
    /// The largest N whose p95 stayed under the target.
    pub fn largest_within_target(&self) -> Option<usize> {
        let within = self.steps.iter().filter(|step| step.within(self.target));
        within.map(|step| step.clients).max()
    }

    /// Whether some step passed the target, so the largest N is a limit and
    /// not only the end of the ramp.
    pub fn found_limit(&self) -> bool {
        self.steps.iter().any(|step| !step.within(self.target))
    }
}

/// Broadcasts sent first at each step and not measured.
const WARMUP_ROUNDS: usize = 2;
const SENDER: &str = "b-sender";

/// Runs the ramp against `server`.
pub(crate) async fn run(
    server: &Running,
    params: &BroadcastParams,
) -> Result<BroadcastResult, Error> {
    let addr = server.addr();
    let started = Instant::now();
    let tracker = Arc::new(Tracker::default());
    let mut sender = connect(addr, "/bench").await?;
    enter(&mut sender, "createRoom", SENDER, "b-sender-room").await?;
    // Aborted when dropped: the receivers live as long as the ramp.
    let mut receivers = JoinSet::new();
    let mut result = BroadcastResult {
        target: params.target,
        steps: Vec::new(),
        stopped: None,
    };
    let mut round = 0;
    let mut connected = 0;
    for &clients in &params.steps {
        if started.elapsed() > params.budget {
            result.stopped = Some(format!("time budget of {:?} spent", params.budget));
            break;
        }
        if clients > connected {
            let users = (connected..clients).map(|i| (format!("b-{i}"), format!("b-room-{i}")));
            match open_users(addr, "/bench", users).await {
                Ok(sockets) => {
                    for ws in sockets {
                        receivers.spawn(receive(ws, Arc::clone(&tracker)));
                    }
                    connected = clients;
                }
                Err(error) => {
                    result.stopped = Some(format!("opening {clients} clients failed: {error}"));
                    break;
                }
            }
        }
        let mut trips = Vec::with_capacity(params.rounds);
        let mut completed = 0;
        let mut cpu_before = Duration::ZERO;
        for index in 0..WARMUP_ROUNDS + params.rounds {
            if index == WARMUP_ROUNDS {
                cpu_before = server.cpu_time()?;
            }
            round += 1;
            let trip = tracker
                .round(&mut sender, round, clients, params.round_timeout)
                .await;
            if index >= WARMUP_ROUNDS {
                completed += usize::from(trip.is_ok());
                trips.push(trip.unwrap_or(params.round_timeout).as_micros() as u64);
            }
        }
        let step = BroadcastStep {
            clients,
            rounds: params.rounds,
            completed,
            p50: percentile(&mut trips, 0.50),
            p95: percentile(&mut trips, 0.95),
            server_cpu: server.cpu_time()?.saturating_sub(cpu_before),
        };
        let within = step.within(params.target);
        result.steps.push(step);
        if !within {
            break;
        }
    }
    Ok(result)
}

/// Counts the receipts of the current broadcast.
#[derive(Debug, Default)]
struct Tracker {
    round: AtomicU64,
    expected: AtomicUsize,
    arrived: AtomicUsize,
    last_us: AtomicU64,
    everyone: Notify,
}

impl Tracker {
    /// Sends broadcast `round` and waits until `expected` clients have it;
    /// the round trip ends at the last receipt.
    async fn round(
        &self,
        sender: &mut Ws,
        round: u64,
        expected: usize,
        timeout: Duration,
    ) -> Result<Duration, Error> {
        self.expected.store(expected, Ordering::Relaxed);
        self.arrived.store(0, Ordering::Relaxed);
        self.last_us.store(0, Ordering::Relaxed);
        self.round.store(round, Ordering::Release);
        let payload = serde_json::json!({"userId": SENDER, "text": round.to_string()});
        let sent = now_us();
        let deadline = Instant::now() + timeout;
        let frame = Message::text(envelope("broadcast", &payload));
        tokio::time::timeout_at(deadline, sender.send(frame))
            .await
            .map_err(|_| "sending the broadcast timed out")??;
        loop {
            let everyone = self.everyone.notified();
            let arrived = self.arrived.load(Ordering::Acquire);
            if arrived >= expected {
                break;
            }
            if tokio::time::timeout_at(deadline, everyone).await.is_err() {
                return Err(format!(
                    "{arrived} of {expected} clients got broadcast {round} in time"
                )
                .into());
            }
        }
        let last = self.last_us.load(Ordering::Acquire);
        Ok(Duration::from_micros(last.saturating_sub(sent)))
    }

    fn arrive(&self, round: u64, at_us: u64) {
        if self.round.load(Ordering::Acquire) != round {
            return;
        }
        self.last_us.fetch_max(at_us, Ordering::AcqRel);
        let arrived = self.arrived.fetch_add(1, Ordering::AcqRel) + 1;
        if arrived == self.expected.load(Ordering::Relaxed) {
            self.everyone.notify_one();
        }
    }
}

/// One receiving client: reports every broadcast it reads.
async fn receive(mut ws: Ws, tracker: Arc<Tracker>) {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let at = now_us();
        let round = Incoming::parse(&text)
            .ok()
            .and_then(|incoming| incoming.received_text()?.parse::<u64>().ok());
        if let Some(round) = round {
            tracker.arrive(round, at);
        }
    }
}
