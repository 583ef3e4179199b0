//! A slow consumer: one chat room of many members and a sender posting at a
//! fixed rate; the delivery latency of the members that read, first on
//! their own, then with one more member that joined and never reads its
//! socket again. The portal asks the server who is in the room, in both
//! runs alike, to see when the server lets the slow one go.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{Stream, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};

use super::fanout::send;
use super::percentile;
use super::portal::Portal;
use crate::Error;
use crate::client::{
    Incoming, Ws, connect, connect_with_receive_buffer, enter, enter_each, now_us,
};
use crate::process::Running;

/// The most the readers' p99 may grow with the slow member in the room, as a factor (issue 9).
pub const P99_RATIO_TARGET: f64 = 2.0;

/// The shape of a slow-consumer run.
#[derive(Debug, Clone, Copy)]
pub struct SlowParams {
    /// Members of the room in the run with the slow one: the sender, the
    /// readers and the slow one.
    pub clients: usize,
    /// Posts per second the sender makes.
    pub rate: f64,
    /// Posts of each run.
    pub messages: usize,
    /// The slow member's socket receive buffer, bytes.
    pub receive_buffer: u32,
    /// How often the portal asks who is in the room.
    pub poll: Duration,
}

/// Delivery to the members that read, in one run.
#[derive(Debug, Clone, Copy)]
pub struct Deliveries {
    /// Posts × readers.
    pub expected: u64,
    /// Deliveries that arrived before the run's deadline.
    pub delivered: u64,
    /// Deliveries that came before one sent earlier, or twice.
    pub out_of_order: u64,
    /// Median delivery latency (post to receipt).
    pub p50: Duration,
    /// 99th percentile delivery latency.
    pub p99: Duration,
}

impl Deliveries {
    /// Whether every reader got every post, once and in order.
    pub fn is_complete(&self) -> bool {
        self.delivered == self.expected && self.out_of_order == 0
    }
}

/// What a slow-consumer run measured.
#[derive(Debug, Clone, Copy)]
pub struct SlowResult {
    /// Members that read (the room but the sender and the slow one).
    pub readers: usize,
    /// Posts of each run.
    pub messages: usize,
    /// Posts per second.
    pub rate: f64,
    /// The run without the slow member.
    pub alone: Deliveries,
    /// The run with it.
    pub with_slow: Deliveries,
    /// From the first post the slow member did not read until the server no
    /// longer had it in the room; `None` if it was still there at twice the bound.
    pub gone_after: Option<Duration>,
    /// The documented bound: the keepalive's dead-peer bound plus the close
    /// grace, counted from the slow member's last frame (its `joinRoom`).
    pub bound: Duration,
}

impl SlowResult {
    /// The readers' p99 with the slow member over their p99 without it.
    pub fn p99_ratio(&self) -> f64 {
        self.with_slow.p99.as_secs_f64() / self.alone.p99.as_secs_f64().max(1e-9)
    }

    /// Whether the slow member was gone within the documented bound.
    pub fn gone_within_bound(&self) -> bool {
        self.gone_after.is_some_and(|gone| gone <= self.bound)
    }

    /// Whether the readers' p99 grew no more than [`P99_RATIO_TARGET`].
    pub fn ratio_within_target(&self) -> bool {
        self.p99_ratio() <= P99_RATIO_TARGET
    }

    /// What went wrong: lost deliveries, a slow member never let go.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (run, deliveries) in [("alone", self.alone), ("with the slow one", self.with_slow)] {
            if !deliveries.is_complete() {
                problems.push(format!(
                    "{run}: {} of {} deliveries ({} out of order)",
                    deliveries.delivered, deliveries.expected, deliveries.out_of_order
                ));
            }
        }
        if self.gone_after.is_none() {
            problems.push(format!(
                "the slow member was still in the room {:?} after the first post it did not read",
                self.bound * 2
            ));
        }
        problems
    }

    /// The targets missed.
    pub fn missed_targets(&self) -> Vec<String> {
        let mut missed = Vec::new();
        if !self.ratio_within_target() {
            missed.push(format!(
                "p99 with the slow member is {:.2}× the p99 without (target ≤ {P99_RATIO_TARGET}×)",
                self.p99_ratio()
            ));
        }
        if !self.gone_within_bound() {
            let gone = self
                .gone_after
                .map_or("never".to_owned(), |d| format!("{d:.2?}"));
            missed.push(format!(
                "the slow member went after {gone}, documented bound {:.2?}",
                self.bound
            ));
        }
        missed
    }
}

const ROOM: &str = "soak";
const SENDER: &str = "soak-sender";
const SLOW: &str = "soak-slow";

/// How long past its last post a run may wait for deliveries.
const DRAIN: Duration = Duration::from_secs(30);

/// Runs the scenario against `server`; `bound` is the documented bound.
pub(crate) async fn run(
    server: &Running,
    portal: &mut Portal,
    params: &SlowParams,
    bound: Duration,
) -> Result<SlowResult, Error> {
    if params.clients < 3 || params.messages == 0 || params.rate <= 0.0 {
        return Err("the slow-consumer run needs three clients, posts and a rate".into());
    }
    let addr = server.addr();
    let tracker = Arc::new(Tracker::default());
    // Aborted when dropped: the readers read until the end of the scenario.
    let mut readers = JoinSet::new();
    let mut sender = connect(addr, "/chat").await?;
    enter(&mut sender, "createRoom", SENDER, ROOM).await?;
    let (sink, stream) = sender.split();
    readers.spawn(read(stream, Arc::clone(&tracker)));
    let count = params.clients - 2;
    let users = (0..count).map(|i| (format!("soak-{i}"), ROOM.to_owned()));
    let mut joining = std::pin::pin!(enter_each(addr, "/chat", "joinRoom", users));
    while let Some(ws) = joining.next().await {
        readers.spawn(read(ws?, Arc::clone(&tracker)));
    }
    let run = Run {
        tracker: &tracker,
        params,
        readers: count,
    };
    let (sink, alone, _) = run.measure(sink, portal, None).await?;
    let mut slow = connect_with_receive_buffer(addr, "/chat", params.receive_buffer).await?;
    // Its last read: the `joinedRoom` that confirms it is in the room.
    enter(&mut slow, "joinRoom", SLOW, ROOM).await?;
    let watched = Watched {
        user: SLOW,
        limit: bound * 2,
    };
    let (_sink, with_slow, gone_after) = run
        .measure(sink, portal, Some(watched))
        .await
        .map_err(|e| format!("the run with the slow member: {e}"))?;
    drop(slow);
    Ok(SlowResult {
        readers: count,
        messages: params.messages,
        rate: params.rate,
        alone,
        with_slow,
        gone_after,
        bound,
    })
}

/// A member the portal watches for, and how long after the first post it waits.
#[derive(Clone, Copy)]
struct Watched {
    user: &'static str,
    limit: Duration,
}

/// One run's fixed parts.
struct Run<'a> {
    tracker: &'a Tracker,
    params: &'a SlowParams,
    readers: usize,
}

impl Run<'_> {
    /// Posts the run's messages at the paced rate while the portal polls the
    /// room; the deliveries to the readers, and when `watched` was gone
    /// (counted from the first post).
    async fn measure(
        &self,
        sink: SplitSink<Ws, Message>,
        portal: &mut Portal,
        watched: Option<Watched>,
    ) -> Result<(SplitSink<Ws, Message>, Deliveries, Option<Duration>), Error> {
        let SlowParams { rate, messages, .. } = *self.params;
        self.tracker.begin((self.readers * messages) as u64);
        let period = Duration::from_secs_f64(1.0 / rate);
        let first = Instant::now() + period;
        let deadline = first + period * messages as u32 + DRAIN;
        let done = AtomicBool::new(false);
        let posting = async {
            let sent = send(
                sink,
                SENDER.to_owned(),
                ROOM.to_owned(),
                messages,
                Some((first, period)),
                deadline,
            )
            .await;
            let deliveries = self.tracker.wait(deadline).await;
            done.store(true, Ordering::Release);
            sent.map(|sink| (sink, deliveries))
        };
        let polling = poll_room(portal, self.params.poll, first, watched, &done);
        let (posted, gone) = tokio::join!(posting, polling);
        let (sink, deliveries) = posted?;
        Ok((sink, deliveries, gone?))
    }
}

/// Asks who is in the room every `every` until the posting is `done` and
/// `watched` is gone (or its limit passed); when it was first missing,
/// counted from `first`.
async fn poll_room(
    portal: &mut Portal,
    every: Duration,
    first: Instant,
    watched: Option<Watched>,
    done: &AtomicBool,
) -> Result<Option<Duration>, Error> {
    let mut gone = None;
    loop {
        let members = portal.members(ROOM).await?.ok_or("the soak room is gone")?;
        let Some(watched) = watched else {
            if done.load(Ordering::Acquire) {
                return Ok(None);
            }
            tokio::time::sleep(every).await;
            continue;
        };
        if gone.is_none() && !members.iter().any(|member| member == watched.user) {
            gone = Some(first.elapsed());
        }
        if done.load(Ordering::Acquire) && (gone.is_some() || first.elapsed() > watched.limit) {
            return Ok(gone);
        }
        tokio::time::sleep(every).await;
    }
}

/// Counts the readers' deliveries of the current run and keeps their latencies.
#[derive(Debug, Default)]
struct Tracker {
    expected: AtomicU64,
    arrived: AtomicU64,
    out_of_order: AtomicU64,
    latencies: Mutex<Vec<u64>>,
    all_in: Notify,
}

impl Tracker {
    /// Starts a run of `expected` deliveries (the previous run's are all in).
    fn begin(&self, expected: u64) {
        self.lock().clear();
        self.arrived.store(0, Ordering::Relaxed);
        self.out_of_order.store(0, Ordering::Relaxed);
        self.expected.store(expected, Ordering::Release);
    }

    fn arrive(&self, latency_us: u64, in_order: bool) {
        self.lock().push(latency_us);
        if !in_order {
            self.out_of_order.fetch_add(1, Ordering::Relaxed);
        }
        let arrived = self.arrived.fetch_add(1, Ordering::AcqRel) + 1;
        if arrived == self.expected.load(Ordering::Acquire) {
            self.all_in.notify_one();
        }
    }

    /// Waits until every delivery of the run is in, or `deadline`.
    async fn wait(&self, deadline: Instant) -> Deliveries {
        let expected = self.expected.load(Ordering::Acquire);
        loop {
            let all_in = self.all_in.notified();
            if self.arrived.load(Ordering::Acquire) >= expected {
                break;
            }
            if tokio::time::timeout_at(deadline, all_in).await.is_err() {
                break;
            }
        }
        let mut latencies = std::mem::take(&mut *self.lock());
        Deliveries {
            expected,
            delivered: self.arrived.load(Ordering::Acquire),
            out_of_order: self.out_of_order.load(Ordering::Relaxed),
            p50: percentile(&mut latencies, 0.50),
            p99: percentile(&mut latencies, 0.99),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u64>> {
        // A reader that panicked holding the lock left its latencies whole.
        self.latencies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One member that reads: every post it receives, until the connection ends
/// (reading also answers the server's pings).
async fn read<S>(mut stream: S, tracker: Arc<Tracker>)
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let mut last_sent = 0;
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let at = now_us();
        let sent = Incoming::parse(&text)
            .ok()
            .and_then(|incoming| incoming.sent_us());
        if let Some(sent) = sent {
            tracker.arrive(at.saturating_sub(sent), sent > last_sent);
            last_sent = sent;
        }
    }
}
