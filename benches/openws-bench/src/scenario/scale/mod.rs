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
mod wire;
pub(crate) mod worker;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use futures_util::future::try_join_all;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use self::generator::Generator;
use self::wire::{Order, ROUND_TIMEOUT, RoundReport};
use self::worker::WorkerShare;
use super::cluster::start_nodes;
use super::percentile;
use crate::Error;
use crate::client::{Ws, envelope, wall_us};
use crate::process::Running;
use crate::report::{count, kib, mib, micros, millis, seconds};
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

/// What a scale run measured. Every broadcast reached every session, or the
/// run failed.
#[derive(Debug, Clone)]
pub struct ScaleResult {
    /// The run's shape.
    pub params: ScaleParams,
    /// From telling the generators to open until the last one had all its
    /// sessions open and greeted.
    pub open_time: Duration,
    /// The nodes' resident sets together before the sessions opened, KiB.
    pub nodes_rss_before_kib: u64,
    /// The nodes' resident sets together with every session open, KiB.
    pub nodes_rss_after_kib: u64,
    /// The generators' resident sets together with every session open, KiB.
    pub generators_rss_kib: u64,
    /// Deliveries the measured broadcasts called for: sessions × rounds.
    pub expected: u64,
    /// Deliveries that arrived (each once, in order).
    pub received: u64,
    /// Median delivery latency.
    pub p50: Duration,
    /// 95th percentile delivery latency.
    pub p95: Duration,
    /// 99th percentile delivery latency.
    pub p99: Duration,
    /// The slowest delivery.
    pub max: Duration,
    /// Median time for a broadcast to reach every session (its last delivery).
    pub everyone_p50: Duration,
    /// 95th percentile time for a broadcast to reach every session.
    pub everyone_p95: Duration,
    /// CPU time the nodes used together during the measured broadcasts.
    pub nodes_cpu: Duration,
    /// CPU time the generators used together during the measured broadcasts.
    pub generators_cpu: Duration,
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

impl ScaleResult {
    /// The nodes' resident memory per open session, bytes.
    pub fn rss_per_session_bytes(&self) -> f64 {
        let growth = self
            .nodes_rss_after_kib
            .saturating_sub(self.nodes_rss_before_kib);
        growth as f64 * 1024.0 / self.params.sessions.max(1) as f64
    }

    /// The nodes' CPU time per delivery, all nodes together.
    pub fn cpu_per_delivery(&self) -> Duration {
        self.nodes_cpu.div_f64(self.received.max(1) as f64)
    }

    /// The generators' CPU time per delivery (reading and checking it).
    pub fn generator_cpu_per_delivery(&self) -> Duration {
        self.generators_cpu.div_f64(self.received.max(1) as f64)
    }

    /// The figures as a markdown table, with the run's shape above it.
    pub fn to_markdown(&self) -> String {
        let p = &self.params;
        let mut out = format!(
            "{} sessions on {} openws-axum nodes joined by {} ({} per node), opened by {} generator \
             processes; {} broadcasts to every session after {WARMUP_ROUNDS} warm-up ones, each sent by \
             one more client on the first node.\n\n",
            count(p.sessions as f64),
            p.nodes,
            p.backplane.name(),
            count(p.sessions.div_ceil(p.nodes.max(1)) as f64),
            p.generators,
            p.rounds,
        );
        let rows = [
            ("time to open every session", seconds(self.open_time)),
            (
                "sessions opened per second",
                count(p.sessions as f64 / self.open_time.as_secs_f64().max(1e-9)),
            ),
            (
                "node RSS, all nodes: before → with the sessions",
                format!(
                    "{} → {}",
                    mib(self.nodes_rss_before_kib),
                    mib(self.nodes_rss_after_kib)
                ),
            ),
            ("node RSS per session", kib(self.rss_per_session_bytes())),
            (
                "generator RSS, all generators",
                mib(self.generators_rss_kib),
            ),
            (
                "delivery latency p50 / p95 / p99 / max",
                [self.p50, self.p95, self.p99, self.max]
                    .map(millis)
                    .join(" / "),
            ),
            (
                "broadcast reaches every session: p50 / p95",
                [self.everyone_p50, self.everyone_p95]
                    .map(millis)
                    .join(" / "),
            ),
            (
                "deliveries expected / received",
                format!(
                    "{} / {}",
                    count(self.expected as f64),
                    count(self.received as f64)
                ),
            ),
            (
                "CPU per delivery: nodes / generators",
                format!(
                    "{} / {}",
                    micros(self.cpu_per_delivery()),
                    micros(self.generator_cpu_per_delivery())
                ),
            ),
        ];
        out.push_str("| measure | value |\n|---|---:|\n");
        for (measure, value) in rows {
            out.push_str(&format!("| {measure} | {value} |\n"));
        }
        out
    }
}

/// Broadcasts sent before the measured ones (they must reach everyone too).
const WARMUP_ROUNDS: u64 = 2;
/// File descriptors a process needs besides its sessions' sockets.
const SPARE_FDS: u64 = 200;
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

/// Refuses a shape that cannot work on this machine, saying what to change.
fn check(params: &ScaleParams, fd_limit: u64) -> Result<(), Error> {
    let ScaleParams {
        sessions,
        nodes,
        generators,
        rounds,
        backplane,
        ..
    } = *params;
    if sessions == 0 || nodes == 0 || generators == 0 || rounds == 0 {
        return Err("the scale scenario needs sessions, nodes, generators and rounds".into());
    }
    if nodes > 1 && backplane == Backplane::Local {
        return Err("several nodes need a backplane (--backplane nats or redis)".into());
    }
    // The first node also holds the trigger.
    let per_node = sessions.div_ceil(nodes) as u64 + 1;
    let per_generator = sessions.div_ceil(generators) as u64;
    for (what, sockets, option) in [
        ("node", per_node, "--nodes"),
        ("generator", per_generator, "--generators"),
    ] {
        if sockets + SPARE_FDS > fd_limit {
            return Err(format!(
                "{sockets} sockets per {what} exceed the file limit of {fd_limit} per process; raise {option}"
            )
            .into());
        }
    }
    if source_count(sessions) > MAX_SOURCES {
        return Err(format!(
            "{sessions} sessions need more than {MAX_SOURCES} loopback source addresses"
        )
        .into());
    }
    Ok(())
}

/// How many local ports the kernel hands out to one source address.
fn ephemeral_ports() -> u64 {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let bounds: Vec<u64> = range
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match bounds[..] {
        [low, high] if high >= low => high - low + 1,
        // Linux's default range, 32768–60999.
        _ => 28_232,
    }
}

/// The most source addresses, `127.0.0.2` to `127.0.0.251`.
const MAX_SOURCES: usize = 250;

/// The local addresses the clients connect from: `127.0.0.2`, `127.0.0.3`,
/// … on the loopback `/8`, each with its own ephemeral ports, and each
/// carrying at most a quarter of them. Linux's `bind` looks for a free port
/// in one half of the range first and, once that half is full, scans all of
/// it for every new socket: an address holding more than about half its
/// ports opens sockets hundreds of times slower.
fn sources(sessions: usize) -> Vec<IpAddr> {
    (0..source_count(sessions).min(MAX_SOURCES))
        .map(|index| {
            let last = u8::try_from(index + 2).expect("at most MAX_SOURCES addresses");
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
        })
        .collect()
}

fn source_count(sessions: usize) -> usize {
    let per_source = usize::try_from(ephemeral_ports() / 4).unwrap_or(usize::MAX);
    sessions.div_ceil(per_source.max(1))
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

/// The measured broadcasts' receipts.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    /// For each broadcast, from its send to its last delivery, µs.
    everyone_us: Vec<u64>,
}

impl Tally {
    fn add(&mut self, reports: Vec<RoundReport>, slowest_us: u64) {
        self.everyone_us.push(slowest_us);
        for report in reports {
            self.latencies_us.extend(report.latencies_us);
        }
    }

    fn into_result(mut self, params: &ScaleParams, run: ScaleRun) -> ScaleResult {
        let received = self.latencies_us.len() as u64;
        ScaleResult {
            params: params.clone(),
            open_time: run.open_time,
            nodes_rss_before_kib: run.nodes_rss_before_kib,
            nodes_rss_after_kib: run.nodes_rss_after_kib,
            generators_rss_kib: run.generators_rss_kib,
            expected: (params.sessions * params.rounds) as u64,
            received,
            p50: percentile(&mut self.latencies_us, 0.50),
            p95: percentile(&mut self.latencies_us, 0.95),
            p99: percentile(&mut self.latencies_us, 0.99),
            max: percentile(&mut self.latencies_us, 1.0),
            everyone_p50: percentile(&mut self.everyone_us, 0.50),
            everyone_p95: percentile(&mut self.everyone_us, 0.95),
            nodes_cpu: run.nodes_cpu,
            generators_cpu: run.generators_cpu,
        }
    }
}

/// The figures of a run besides the latencies.
struct ScaleRun {
    open_time: Duration,
    nodes_rss_before_kib: u64,
    nodes_rss_after_kib: u64,
    generators_rss_kib: u64,
    nodes_cpu: Duration,
    generators_cpu: Duration,
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
