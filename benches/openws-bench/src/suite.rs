//! A run of scenarios against servers, each server in a fresh process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::frame::{FramePath, FrameRunner};
use crate::process::Running;
use crate::report::{Outcome, Report};
use crate::scenario::{
    self, BroadcastParams, ChurnParams, FanoutParams, MemoryParams, SlowParams, SoakParams,
};
use crate::{Error, Server, SessionOverrides};

/// The slow member's socket receive buffer: small, so its unread frames
/// stall the server's writes to it soon (the conformance suite's slow reader).
const SLOW_RECEIVE_BUFFER: u32 = 4096;

/// What to run: which servers, and the parameters of each scenario (`None` skips it).
#[derive(Debug, Clone)]
pub struct Suite {
    /// The `openws-bench` binary, started as `serve --server ..` for each Rust server.
    pub exe: PathBuf,
    /// The servers compared, in table order.
    pub servers: Vec<Server>,
    /// Fan-out, saturated: throughput.
    pub fanout: Option<FanoutParams>,
    /// Fan-out, paced: delivery latency at a load every server sustains.
    pub paced: Option<FanoutParams>,
    /// Broadcast round trip.
    pub broadcast: Option<BroadcastParams>,
    /// Idle memory.
    pub memory: Option<MemoryParams>,
    /// Per-frame cost.
    pub frames: Option<FrameParams>,
    /// Churn and a slow consumer (openws servers only).
    pub soak: Option<SoakParams>,
}

/// How the per-frame cost is measured.
#[derive(Debug, Clone, Copy)]
pub struct FrameParams {
    /// Frames per timed batch (the best of five batches counts).
    pub iterations: u64,
    /// Frames counted under `valgrind --tool=callgrind`; 0 skips callgrind.
    pub callgrind_iterations: u64,
}

/// The per-frame cost of one path.
#[derive(Debug, Clone, Copy)]
pub struct FrameCost {
    /// The path.
    pub path: FramePath,
    /// Nanoseconds per frame, best of five batches.
    pub nanos: f64,
    /// Instructions per frame under callgrind, when it ran.
    pub instructions: Option<f64>,
}

impl Suite {
    /// Every scenario at full size against every server: the `all` command.
    pub fn full(exe: PathBuf) -> Self {
        Self {
            exe,
            servers: Server::ALL.to_vec(),
            fanout: Some(FanoutParams {
                rooms: 10,
                members: 10,
                messages: 1000,
                rate: None,
                timeout: Duration::from_secs(60),
            }),
            // 100 members × 9 receivers × 20/s: 18,000 deliveries/s for 5 s.
            paced: Some(FanoutParams {
                rooms: 10,
                members: 10,
                messages: 100,
                rate: Some(20.0),
                timeout: Duration::from_secs(60),
            }),
            broadcast: Some(BroadcastParams {
                // Up to what one client process may open under a 20,000 fd limit.
                steps: vec![100, 1000, 2500, 5000, 7500, 10_000, 12_500, 15_000, 17_500],
                rounds: 20,
                target: Duration::from_millis(500),
                round_timeout: Duration::from_secs(5),
                budget: Duration::from_secs(240),
            }),
            memory: Some(MemoryParams {
                sessions: 10_000,
                warmup: 100,
                settle: Duration::from_secs(1),
            }),
            frames: Some(FrameParams {
                iterations: 200_000,
                callgrind_iterations: 20_000,
            }),
            // Ten minutes more: the `soak` command runs it.
            soak: None,
        }
    }

    /// The soak at full size (issue 9): 10 rounds of 1,000 churn cycles, then
    /// a room of 1,000 members with one that never reads, the servers on
    /// the core's default session limits.
    pub fn full_soak() -> SoakParams {
        SoakParams {
            churn: ChurnParams {
                rounds: 10,
                cycles: 1000,
                settle: Duration::from_secs(1),
            },
            // 20 posts/s to 998 readers for 90 s: past the documented
            // bound of 61 s for a member that never reads.
            slow: SlowParams {
                clients: 1000,
                rate: 20.0,
                messages: 1800,
                receive_buffer: SLOW_RECEIVE_BUFFER,
                poll: Duration::from_millis(100),
            },
            session: SessionOverrides::default(),
        }
    }

    /// Tiny sizes against the Rust servers only (no Node): the `smoke`
    /// command and the test suite's check that the instrument works.
    pub fn smoke(exe: PathBuf) -> Self {
        Self {
            exe,
            servers: Server::RUST.to_vec(),
            fanout: Some(FanoutParams {
                rooms: 2,
                members: 3,
                messages: 20,
                rate: None,
                timeout: Duration::from_secs(10),
            }),
            paced: Some(FanoutParams {
                rooms: 2,
                members: 3,
                messages: 10,
                rate: Some(100.0),
                timeout: Duration::from_secs(10),
            }),
            broadcast: Some(BroadcastParams {
                steps: vec![5, 20],
                rounds: 5,
                target: Duration::from_millis(500),
                round_timeout: Duration::from_secs(5),
                budget: Duration::from_secs(20),
            }),
            memory: Some(MemoryParams {
                sessions: 50,
                warmup: 5,
                settle: Duration::from_millis(100),
            }),
            frames: Some(FrameParams {
                iterations: 200,
                callgrind_iterations: 0,
            }),
            // Keepalive and close grace shortened so the slow one goes within a second.
            soak: Some(SoakParams {
                churn: ChurnParams {
                    rounds: 2,
                    cycles: 20,
                    settle: Duration::from_millis(50),
                },
                slow: SlowParams {
                    clients: 10,
                    rate: 100.0,
                    messages: 50,
                    receive_buffer: SLOW_RECEIVE_BUFFER,
                    poll: Duration::from_millis(20),
                },
                session: SessionOverrides {
                    outbound_queue: None,
                    ping_interval_ms: Some(200),
                    close_grace_ms: Some(200),
                },
            }),
        }
    }

    /// Runs the suite; a server that fails a scenario is reported, not fatal.
    pub fn run(&self) -> Result<Report, Error> {
        // Thousands of sockets on both ends: lift the soft fd limit to the hard one
        // (server processes inherit it).
        let _ = rlimit::increase_nofile_limit(u64::MAX);
        let mut report = Report::new(&self.servers);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            if let Some(params) = &self.fanout {
                let run = async |server: &Running| scenario::fanout(server, params).await;
                report.fanout = self.each_server("fan-out, saturated", run).await;
                report.fanout_params = Some(*params);
            }
            if let Some(params) = &self.paced {
                let run = async |server: &Running| scenario::fanout(server, params).await;
                report.paced = self.each_server("fan-out, paced", run).await;
                report.paced_params = Some(*params);
            }
            if let Some(params) = &self.broadcast {
                let run = async |server: &Running| scenario::broadcast(server, params).await;
                report.broadcast = self.each_server("broadcast", run).await;
                report.broadcast_params = Some(params.clone());
            }
            if let Some(params) = &self.memory {
                let run = async |server: &Running| scenario::memory(server, params).await;
                report.memory = self.each_server("idle memory", run).await;
            }
            if let Some(params) = &self.soak {
                let openws: Vec<Server> = self
                    .servers
                    .iter()
                    .copied()
                    .filter(|s| s.is_openws())
                    .collect();
                let args = params.serve_args();
                let run = async |server: &Running| scenario::soak(server, params).await;
                report.soak = each_server("soak", &self.exe, &openws, &args, run).await;
                report.soak_params = Some(params.clone());
            }
        });
        drop(runtime);
        if let Some(params) = self.frames {
            report.frames = frame_costs(&self.exe, params);
        }
        Ok(report)
    }

    /// Runs `scenario` against each server in turn, each started fresh and
    /// stopped afterwards.
    async fn each_server<T>(
        &self,
        name: &str,
        scenario: impl AsyncFn(&Running) -> Result<T, Error>,
    ) -> Vec<Outcome<T>> {
        each_server(name, &self.exe, &self.servers, &[], scenario).await
    }
}

/// Runs `scenario` against each of `servers` in turn, each started fresh
/// (Rust servers as `exe serve .. serve_args`) and stopped afterwards.
async fn each_server<T>(
    name: &str,
    exe: &Path,
    servers: &[Server],
    serve_args: &[String],
    scenario: impl AsyncFn(&Running) -> Result<T, Error>,
) -> Vec<Outcome<T>> {
    let serve_args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let mut outcomes = Vec::with_capacity(servers.len());
    for &server in servers {
        eprintln!("{name}: {}", server.name());
        let result = match Running::start_with(server, exe, &serve_args).await {
            Ok(running) => {
                let result = scenario(&running).await;
                running.stop().await;
                result
            }
            Err(error) => Err(error),
        };
        let result = result.map_err(|error| {
            eprintln!("{name}: {} failed: {error}", server.name());
            error.to_string()
        });
        outcomes.push(Outcome { server, result });
    }
    outcomes
}

/// Times every path, and counts its instructions under callgrind when asked.
fn frame_costs(exe: &Path, params: FrameParams) -> Vec<FrameCost> {
    let mut costs = Vec::new();
    for path in FramePath::ALL {
        eprintln!("per-frame cost: {}", path.name());
        let mut runner = FrameRunner::new(path);
        runner.run(params.iterations / 10 + 1);
        let best = (0..5)
            .map(|_| runner.run(params.iterations.max(1)))
            .min()
            .expect("five batches ran");
        let instructions = match params.callgrind_iterations {
            0 => None,
            iterations => callgrind_per_frame(exe, path, iterations)
                .inspect_err(|error| eprintln!("per-frame cost: no instruction count: {error}"))
                .ok(),
        };
        costs.push(FrameCost {
            path,
            nanos: best.as_nanos() as f64 / params.iterations.max(1) as f64,
            instructions,
        });
    }
    costs
}

/// Instructions per frame: callgrind's total for `iterations` frames minus
/// its total for none (start-up and set-up), divided by `iterations`.
fn callgrind_per_frame(exe: &Path, path: FramePath, iterations: u64) -> Result<f64, Error> {
    let loaded = callgrind_total(exe, path, iterations)?;
    let empty = callgrind_total(exe, path, 0)?;
    Ok(loaded.saturating_sub(empty) as f64 / iterations as f64)
}

/// `Collected` instructions of `exe frame-cost --path .. --iterations ..` under callgrind.
fn callgrind_total(exe: &Path, path: FramePath, iterations: u64) -> Result<u64, Error> {
    let out = std::env::temp_dir().join(format!("openws-bench-callgrind.{}", std::process::id()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["frame-cost", "--path", path.name(), "--iterations"])
        .arg(iterations.to_string())
        .output()
        .map_err(|e| format!("running valgrind: {e}"))?;
    let _ = std::fs::remove_file(&out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("valgrind failed: {stderr}").into());
    }
    let collected = stderr
        .lines()
        .find_map(|line| {
            line.split_once("Collected :")
                .map(|(_, n)| n.trim().to_owned())
        })
        .ok_or("callgrind printed no `Collected` total")?;
    Ok(collected.parse()?)
}
