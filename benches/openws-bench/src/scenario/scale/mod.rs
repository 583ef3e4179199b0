//! Issue 13's 100,000 sessions: openws-axum nodes joined by a backplane,
//! each holding its share of the sessions on `/scale`, and the clients split
//! over generator processes (each process may hold only so many sockets).
//! Measured: the time to open every session, the nodes' resident memory per
//! session, and the latency of broadcasts that must reach every session.
//!
//! Latency is receipt minus send, across processes: the trigger puts its
//! send time in the broadcast's text and each generator stamps the receipt,
//! both read from the real-time clock every process on the machine shares
//! (`SystemTime`; a process's `Instant` cannot be carried to another).

mod generator;
mod limits;
mod result;
mod wire;
pub(crate) mod worker;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use futures_util::future::try_join_all;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use self::generator::Generator;
use self::limits::{check, sources};
pub use self::result::ScaleResult;
use self::result::{ScaleRun, Tally};
use self::wire::{Order, ROUND_TIMEOUT, RoundReport};
use self::worker::WorkerShare;
use super::cluster::start_nodes;
use crate::Error;
use crate::client::{Ws, envelope, wall_us};
use crate::process::Running;
use crate::report::millis;
use crate::servers::Backplane;

/// The shape of a scale run.
#[derive(Debug, Clone)]
pub struct ScaleParams {
    /// Sessions held open at once, spread evenly over the nodes.
    pub sessions: usize,
    /// openws-axum processes.
    pub nodes: usize,
    /// Load-generator processes, each opening an equal share of the sessions.
    pub generators: usize,
    /// Measured broadcasts to every session (two more warm up first).
    pub rounds: usize,
    /// What joins the nodes.
    pub backplane: Backplane,
    /// The pause before each reading of the nodes' memory.
    pub settle: Duration,
    /// The longest opening every session may take.
    pub open_timeout: Duration,
}

/// Sessions one generator opens unless told otherwise: below the file limit
/// of 20,000 per process with room to spare.
const SESSIONS_PER_GENERATOR: usize = 17_000;

impl ScaleParams {
    /// `sessions` over `nodes` joined by `backplane`, one generator per
    /// [`SESSIONS_PER_GENERATOR`], 20 measured broadcasts.
    pub fn new(sessions: usize, nodes: usize, backplane: Backplane) -> Self {
        Self {
            sessions,
            nodes,
            generators: sessions.div_ceil(SESSIONS_PER_GENERATOR).max(1),
            rounds: 20,
            backplane,
            settle: Duration::from_secs(2),
            open_timeout: Duration::from_secs(600),
        }
    }

    /// Runs the scenario, starting the nodes and generators as `exe`
    /// (`openws-bench`): `exe serve ..` and `exe scale-worker ..`.
    pub fn run(&self, exe: &Path) -> Result<ScaleResult, Error> {
        tokio::runtime::Runtime::new()?.block_on(run(exe, self))
    }
}

/// Broadcasts sent before the measured ones (they must reach everyone too).
const WARMUP_ROUNDS: u64 = 2;
/// The user id the trigger's broadcasts name.
const TRIGGER: &str = "scale-trigger";

/// Starts the nodes, runs the scenario, and stops everything it started.
pub(crate) async fn run(exe: &Path, params: &ScaleParams) -> Result<ScaleResult, Error> {
    let fd_limit = rlimit::increase_nofile_limit(u64::MAX)?;
    check(params, fd_limit)?;
    eprintln!(
        "scale: starting {} nodes joined by {}",
        params.nodes,
        params.backplane.name()
    );
    let nodes = start_nodes(exe, params.backplane, params.nodes).await?;
    let result = measure(exe, params, &nodes).await;
    for node in nodes {
        node.stop().await;
    }
    result
}

async fn measure(
    exe: &Path,
    params: &ScaleParams,
    nodes: &[Running],
) -> Result<ScaleResult, Error> {
    let addrs: Vec<SocketAddr> = nodes.iter().map(Running::addr).collect();
    let mut trigger = Trigger::connect(addrs[0]).await?;
    tokio::time::sleep(params.settle).await;
    let nodes_rss_before_kib = total(nodes.iter().map(Running::rss_kib))?;

    let mut generators = start_generators(exe, params, &addrs).await?;
    eprintln!(
        "scale: opening {} sessions from {} generators",
        params.sessions, params.generators
    );
    let started = Instant::now();
    for generator in &mut generators {
        generator.order(Order::Open).await?;
    }
    let opened = try_join_all(
        generators
            .iter_mut()
            .map(|generator| generator.opened(params.open_timeout)),
    )
    .await?;
    let open_time = started.elapsed();
    let opened: usize = opened.into_iter().sum();
    if opened != params.sessions {
        return Err(format!("{opened} of {} sessions opened", params.sessions).into());
    }
    eprintln!("scale: {opened} sessions open in {open_time:.2?}");
    tokio::time::sleep(params.settle).await;
    let nodes_rss_after_kib = total(nodes.iter().map(Running::rss_kib))?;
    let generators_rss_kib = total(generators.iter().map(Generator::rss_kib))?;

    let mut tally = Tally::default();
    let mut cpu_before = (Duration::ZERO, Duration::ZERO);
    for round in 1..=WARMUP_ROUNDS + params.rounds as u64 {
        if round == WARMUP_ROUNDS + 1 {
            cpu_before = cpu_times(nodes, &generators)?;
        }
        trigger.broadcast(round).await?;
        for generator in &mut generators {
            generator.order(Order::Collect(round)).await?;
        }
        let answer_within = ROUND_TIMEOUT + Duration::from_secs(10);
        let reports = try_join_all(
            generators
                .iter_mut()
                .map(|generator| generator.round(round, answer_within)),
        )
        .await?;
        let slowest_us = check_round(round, params.sessions, &reports)?;
        eprintln!(
            "scale: broadcast {round} reached all {} sessions in {}",
            params.sessions,
            millis(Duration::from_micros(slowest_us))
        );
        if round > WARMUP_ROUNDS {
            tally.add(reports, slowest_us);
        }
    }
    let cpu_after = cpu_times(nodes, &generators)?;
    let nodes_cpu = cpu_after.0.saturating_sub(cpu_before.0);
    let generators_cpu = cpu_after.1.saturating_sub(cpu_before.1);
    for generator in generators {
        generator.stop().await;
    }
    trigger.close().await;
    Ok(tally.into_result(
        params,
        ScaleRun {
            open_time,
            nodes_rss_before_kib,
            nodes_rss_after_kib,
            generators_rss_kib,
            nodes_cpu,
            generators_cpu,
        },
    ))
}

/// Starts every generator, each with an equal share of the sessions.
async fn start_generators(
    exe: &Path,
    params: &ScaleParams,
    nodes: &[SocketAddr],
) -> Result<Vec<Generator>, Error> {
    let share = params.sessions.div_ceil(params.generators);
    let sources = sources(params.sessions);
    let mut generators = Vec::with_capacity(params.generators);
    for index in 0..params.generators {
        let first = (index * share).min(params.sessions);
        let share = WorkerShare {
            nodes: nodes.to_vec(),
            first,
            count: share.min(params.sessions - first),
            sources: sources.clone(),
        };
        generators.push(Generator::start(exe, index, &share).await?);
    }
    Ok(generators)
}

/// Fails unless every session received broadcast `round` once; its slowest
/// delivery's latency (µs: when it reached every session) otherwise.
fn check_round(round: u64, sessions: usize, reports: &[RoundReport]) -> Result<u64, Error> {
    let received: usize = reports.iter().map(|r| r.latencies_us.len()).sum();
    let closed: usize = reports.iter().map(|r| r.closed).sum();
    let duplicates: usize = reports.iter().map(|r| r.duplicates).sum();
    if received != sessions || duplicates > 0 {
        return Err(format!(
            "broadcast {round} reached {received} of {sessions} sessions \
             ({closed} connections closed, {duplicates} frames repeated or out of order)"
        )
        .into());
    }
    Ok(reports
        .iter()
        .flat_map(|r| r.latencies_us.iter())
        .max()
        .copied()
        .unwrap_or(0))
}

/// The client that sends every broadcast; it is not one of the sessions (a
/// broadcast leaves its sender out).
struct Trigger {
    sink: SplitSink<Ws, Message>,
    /// Reads what the trigger is sent, so it answers the server's pings.
    _reader: JoinSet<()>,
}

impl Trigger {
    async fn connect(node: SocketAddr) -> Result<Self, Error> {
        let ws = worker::open_client(node, None).await?;
        let (sink, mut stream) = ws.split();
        let mut reader = JoinSet::new();
        reader.spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        Ok(Self {
            sink,
            _reader: reader,
        })
    }

    /// Sends broadcast `round`, stamped with the time it is sent.
    async fn broadcast(&mut self, round: u64) -> Result<(), Error> {
        let sent_us = wall_us();
        let payload = serde_json::json!({"userId": TRIGGER, "text": format!("{round} {sent_us}")});
        let frame = Message::text(envelope("broadcast", &payload));
        tokio::time::timeout(crate::client::WAIT, self.sink.send(frame))
            .await
            .map_err(|_| "sending a broadcast timed out")??;
        Ok(())
    }

    async fn close(mut self) {
        let _ = self.sink.close().await;
    }
}

fn total(readings: impl Iterator<Item = Result<u64, Error>>) -> Result<u64, Error> {
    readings.sum()
}

/// CPU time used so far by the nodes together, and by the generators together.
fn cpu_times(nodes: &[Running], generators: &[Generator]) -> Result<(Duration, Duration), Error> {
    let nodes = nodes.iter().map(Running::cpu_time).sum::<Result<_, _>>()?;
    let generators = generators
        .iter()
        .map(Generator::cpu_time)
        .sum::<Result<_, _>>()?;
    Ok((nodes, generators))
}
