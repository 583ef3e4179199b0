//! The `openws-bench` command line.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::frame::{FramePath, FrameRunner};
use crate::scenario::{
    self, ChurnParams, ClusterParams, ClusterRow, ScaleParams, SlowParams, SoakParams, WorkerShare,
};
use crate::servers::{Backplane, SessionOverrides};
use crate::suite::FrameParams;
use crate::{BroadcastParams, Error, FanoutParams, MemoryParams, Server, Suite, servers};

/// Side-by-side benchmarks of openws-rs, the hand-written limit and the Node original.
#[derive(Debug, Parser)]
#[command(name = "openws-bench", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every scenario against every server and prints the tables.
    All(Selection),
    /// Tiny sizes against the Rust servers, checked; fails if anything is lost.
    Smoke,
    /// Fan-out only: saturated (throughput), then paced at `--rate` (latency).
    Fanout {
        #[command(flatten)]
        selection: Selection,
        /// Rooms (R).
        #[arg(long, default_value_t = 10)]
        rooms: usize,
        /// Members per room (M).
        #[arg(long, default_value_t = 10)]
        members: usize,
        /// Messages each member sends (K) when saturated.
        #[arg(long, default_value_t = 1000)]
        messages: usize,
        /// Messages per second each member sends when paced.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// Broadcast round trip only.
    Broadcast {
        #[command(flatten)]
        selection: Selection,
        /// N at each step, ascending.
        #[arg(long, value_delimiter = ',')]
        steps: Option<Vec<usize>>,
        /// Measured broadcasts per step.
        #[arg(long)]
        rounds: Option<usize>,
    },
    /// Idle memory only.
    Memory {
        #[command(flatten)]
        selection: Selection,
        /// Idle sessions.
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
    },
    /// Per-frame cost only (timed; `--callgrind` also counts instructions).
    Frames {
        /// Frames per timed batch.
        #[arg(long, default_value_t = 200_000)]
        iterations: u64,
        /// Frames to count under callgrind (needs valgrind); 0 skips it.
        #[arg(long, default_value_t = 0)]
        callgrind: u64,
    },
    /// Handles the chat frame `iterations` times on one path (for `valgrind --tool=callgrind`).
    FrameCost {
        /// The path.
        #[arg(long, value_enum)]
        path: FramePath,
        /// How many frames.
        #[arg(long)]
        iterations: u64,
    },
    /// Serves one server until killed; prints `listening <addr>` once it accepts.
    Serve {
        /// Which server.
        #[arg(long, value_enum)]
        server: Server,
        /// Where to listen (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// What joins this node's `/chat` to other nodes.
        #[arg(long, value_enum, default_value = "local")]
        backplane: Backplane,
        /// The cluster's channel prefix.
        #[arg(long, default_value = "openws-bench")]
        prefix: String,
        #[command(flatten)]
        session: SessionOverrides,
    },
    /// Churn, then a slow consumer, against the openws servers (issue 9's
    /// soak figures); fails when a cycle or a delivery fails or a target is missed.
    Soak {
        /// Servers, comma-separated (default: the three openws adapters).
        #[arg(long, value_enum, value_delimiter = ',')]
        servers: Option<Vec<Server>>,
        /// Churn rounds [default: 10].
        #[arg(long)]
        rounds: Option<usize>,
        /// Connect → createRoom → disconnect cycles per round [default: 1000].
        #[arg(long)]
        cycles: Option<usize>,
        /// Members of the slow-consumer room, the slow one included [default: 1000].
        #[arg(long)]
        clients: Option<usize>,
        /// Posts per second to the room [default: 20].
        #[arg(long)]
        rate: Option<f64>,
        /// Posts of each run, without and with the slow one [default: 1800].
        #[arg(long)]
        messages: Option<usize>,
        #[command(flatten)]
        session: SessionOverrides,
    },
    /// One room spanning several openws-axum nodes joined by a backplane,
    /// against the same room on one node: delivery latency (paced) and
    /// throughput (saturated).
    Cluster {
        /// The backplanes to compare with one node, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "redis,nats")]
        backplanes: Vec<Backplane>,
        /// Nodes of each cluster.
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Members of the room, spread over the nodes in turn.
        #[arg(long, default_value_t = 12)]
        members: usize,
        /// Messages each member sends when saturated.
        #[arg(long, default_value_t = 500)]
        messages: usize,
        /// Messages per second each member sends when paced.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
    },
    /// Issue 13's 100,000 sessions: openws-axum nodes joined by a backplane,
    /// the clients split over generator processes; the time to open them all,
    /// the nodes' memory per session, and broadcasts that must reach every one.
    Scale {
        /// Sessions held open at once, spread evenly over the nodes.
        #[arg(long, default_value_t = 100_000)]
        sessions: usize,
        /// openws-axum processes (each may hold only as many sockets as its file limit).
        #[arg(long, default_value_t = 6)]
        nodes: usize,
        /// Load-generator processes (default: one per 17,000 sessions).
        #[arg(long)]
        generators: Option<usize>,
        /// Measured broadcasts to every session.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// What joins the nodes.
        #[arg(long, value_enum, default_value = "nats")]
        backplane: Backplane,
    },
    /// One generator process of `scale` (started by it; orders on stdin, reports on stdout).
    #[command(hide = true)]
    ScaleWorker {
        /// The nodes, comma-separated; client `i` connects to node `i mod n`.
        #[arg(long, value_delimiter = ',', required = true)]
        nodes: Vec<SocketAddr>,
        /// The index of this generator's first client.
        #[arg(long)]
        first: usize,
        /// How many clients it opens.
        #[arg(long)]
        count: usize,
        /// The local addresses its clients connect from, comma-separated;
        /// client `i` uses address `i mod n`.
        #[arg(long, value_delimiter = ',')]
        sources: Vec<IpAddr>,
    },
}

/// Which servers a scenario runs against.
#[derive(Debug, Args)]
struct Selection {
    /// Servers to compare, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    servers: Option<Vec<Server>>,
}

/// Runs the command `cli` names.
pub fn run(cli: Cli) -> Result<(), Error> {
    let exe = std::env::current_exe()?;
    let suite = match cli.command {
        Command::Serve {
            server,
            addr,
            backplane,
            prefix,
            session,
        } => return servers::serve(server, addr, backplane, &prefix, &session),
        Command::Soak {
            servers,
            rounds,
            cycles,
            clients,
            rate,
            messages,
            session,
        } => {
            let full = Suite::full_soak();
            let params = SoakParams {
                churn: ChurnParams {
                    rounds: rounds.unwrap_or(full.churn.rounds),
                    cycles: cycles.unwrap_or(full.churn.cycles),
                    ..full.churn
                },
                slow: SlowParams {
                    clients: clients.unwrap_or(full.slow.clients),
                    rate: rate.unwrap_or(full.slow.rate),
                    messages: messages.unwrap_or(full.slow.messages),
                    ..full.slow
                },
                session,
            };
            return soak(exe, servers, params);
        }
        Command::Cluster {
            backplanes,
            nodes,
            members,
            messages,
            rate,
        } => {
            let params = ClusterParams {
                backplanes,
                nodes,
                saturated: FanoutParams {
                    rooms: 1,
                    members,
                    messages,
                    rate: None,
                    timeout: Duration::from_secs(60),
                },
                paced: FanoutParams {
                    rooms: 1,
                    members,
                    messages: (rate * 5.0).ceil() as usize,
                    rate: Some(rate),
                    timeout: Duration::from_secs(60),
                },
            };
            let rows =
                tokio::runtime::Runtime::new()?.block_on(scenario::cluster(&exe, &params))?;
            println!("{}", ClusterRow::to_markdown(&rows, &params));
            return Ok(());
        }
        Command::Scale {
            sessions,
            nodes,
            generators,
            rounds,
            backplane,
        } => {
            let mut params = ScaleParams::new(sessions, nodes, backplane);
            params.rounds = rounds;
            params.generators = generators.unwrap_or(params.generators);
            let machine = crate::report::machine();
            let result = params.run(&exe)?;
            println!("{machine}\n\n{}", result.to_markdown());
            return Ok(());
        }
        Command::ScaleWorker {
            nodes,
            first,
            count,
            sources,
        } => {
            let share = WorkerShare {
                nodes,
                first,
                count,
                sources,
            };
            return scenario::scale_worker(share);
        }
        Command::FrameCost { path, iterations } => {
            let elapsed = FrameRunner::new(path).run(iterations);
            println!("{} frames on {} in {elapsed:?}", iterations, path.name());
            return Ok(());
        }
        Command::Smoke => {
            let report = Suite::smoke(exe).run()?;
            println!("{}", report.to_markdown());
            let problems = report.problems();
            if !problems.is_empty() {
                return Err(format!("smoke run failed:\n{}", problems.join("\n")).into());
            }
            return Ok(());
        }
        Command::All(selection) => selection.apply(Suite::full(exe)),
        Command::Fanout {
            selection,
            rooms,
            members,
            messages,
            rate,
        } => {
            let mut suite = only(Suite::full(exe));
            let saturated = FanoutParams {
                rooms,
                members,
                messages,
                rate: None,
                timeout: Duration::from_secs(60),
            };
            suite.fanout = Some(saturated);
            // Five seconds at the paced rate.
            let messages = (rate * 5.0).ceil() as usize;
            suite.paced = Some(FanoutParams {
                messages,
                rate: Some(rate),
                ..saturated
            });
            selection.apply(suite)
        }
        Command::Broadcast {
            selection,
            steps,
            rounds,
        } => {
            let full = Suite::full(exe.clone())
                .broadcast
                .expect("the full suite broadcasts");
            let mut suite = only(Suite::full(exe));
            suite.broadcast = Some(BroadcastParams {
                steps: steps.unwrap_or(full.steps),
                rounds: rounds.unwrap_or(full.rounds),
                ..full
            });
            selection.apply(suite)
        }
        Command::Memory {
            selection,
            sessions,
        } => {
            let full = Suite::full(exe.clone())
                .memory
                .expect("the full suite measures memory");
            let mut suite = only(Suite::full(exe));
            suite.memory = Some(MemoryParams { sessions, ..full });
            selection.apply(suite)
        }
        Command::Frames {
            iterations,
            callgrind,
        } => {
            let mut suite = only(Suite::full(exe));
            suite.servers.clear();
            suite.frames = Some(FrameParams {
                iterations,
                callgrind_iterations: callgrind,
            });
            suite
        }
    };
    let report = suite.run()?;
    println!("{}", report.to_markdown());
    Ok(())
}

/// Runs the soak against `servers` (default: every openws server), prints
/// its table, and fails on problems and missed targets.
fn soak(
    exe: std::path::PathBuf,
    servers: Option<Vec<Server>>,
    params: SoakParams,
) -> Result<(), Error> {
    let servers = servers.unwrap_or_else(|| Server::OPENWS.to_vec());
    if let Some(other) = servers.iter().find(|server| !server.is_openws()) {
        return Err(format!(
            "the soak runs against openws servers only, not {}",
            other.name()
        )
        .into());
    }
    let mut suite = only(Suite::full(exe));
    suite.servers = servers;
    suite.soak = Some(params);
    let report = suite.run()?;
    println!("{}", report.to_markdown());
    let failures = [report.problems(), report.missed_targets()].concat();
    if failures.is_empty() {
        return Ok(());
    }
    let failures = failures.join("\n");
    Err(format!("the soak failed or missed a target:\n{failures}").into())
}

/// A suite with no scenario selected yet.
fn only(mut suite: Suite) -> Suite {
    suite.fanout = None;
    suite.paced = None;
    suite.broadcast = None;
    suite.memory = None;
    suite.frames = None;
    suite.soak = None;
    suite
}

impl Selection {
    fn apply(self, mut suite: Suite) -> Suite {
        if let Some(servers) = self.servers {
            suite.servers = servers;
        }
        suite
    }
}
