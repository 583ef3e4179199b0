//! Cross-node delivery: one chat room whose members are spread over several
//! openws-axum processes joined by a backplane, against the same room on one
//! process. Paced, it measures the latency the backplane adds; saturated,
//! the throughput of a room spanning the nodes. Every delivery must arrive.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::fanout::run_across;
use super::{FanoutParams, FanoutResult};
use crate::process::Running;
use crate::servers::Backplane;
use crate::{Error, Server};

/// The shape of a cluster run.
#[derive(Debug, Clone)]
pub struct ClusterParams {
    /// The backplanes compared with one node.
    pub backplanes: Vec<Backplane>,
    /// Nodes of each cluster.
    pub nodes: usize,
    /// The saturated run (throughput).
    pub saturated: FanoutParams,
    /// The paced run (latency).
    pub paced: FanoutParams,
}

/// One setup's figures.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    /// What joined the nodes.
    pub backplane: Backplane,
    /// How many nodes the room spanned.
    pub nodes: usize,
    /// The paced run.
    pub paced: FanoutResult,
    /// The saturated run.
    pub saturated: FanoutResult,
}

/// Runs one node with the local hub, then each backplane's cluster.
pub(crate) async fn run(exe: &Path, params: &ClusterParams) -> Result<Vec<ClusterRow>, Error> {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut rows = vec![run_setup(exe, Backplane::Local, 1, params).await?];
    for &backplane in &params.backplanes {
        rows.push(run_setup(exe, backplane, params.nodes, params).await?);
    }
    Ok(rows)
}

async fn run_setup(
    exe: &Path,
    backplane: Backplane,
    nodes: usize,
    params: &ClusterParams,
) -> Result<ClusterRow, Error> {
    let running = start_nodes(exe, backplane, nodes).await?;
    // Let every node hear the others' first heartbeat.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refs: Vec<&Running> = running.iter().collect();
    let paced = run_across(&refs, &params.paced).await;
    let saturated = run_across(&refs, &params.saturated).await;
    for node in running {
        node.stop().await;
    }
    let (paced, saturated) = (paced?, saturated?);
    for (name, result) in [("paced", &paced), ("saturated", &saturated)] {
        if !result.is_complete() {
            return Err(format!(
                "{} {name}: {} of {} deliveries",
                backplane.name(),
                result.delivered,
                result.expected
            )
            .into());
        }
    }
    Ok(ClusterRow {
        backplane,
        nodes,
        paced,
        saturated,
    })
}

/// Starts `nodes` openws-axum processes joined by `backplane` under a
/// channel prefix of their own (no other run's nodes, nor a later run's, hear
/// them; the brokers keep nothing of a publish/subscribe prefix once its
/// subscribers are gone). Dropping them kills them.
pub(super) async fn start_nodes(
    exe: &Path,
    backplane: Backplane,
    nodes: usize,
) -> Result<Vec<Running>, Error> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)?
        .as_nanos();
    let prefix = format!("openws-bench.{}-{nanos}", std::process::id());
    let args = ["--backplane", backplane.name(), "--prefix", &prefix];
    let mut running = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        running.push(Running::start_with(Server::OpenwsAxum, exe, &args).await?);
    }
    Ok(running)
}

impl ClusterRow {
    /// The rows as a markdown table, with the run's shape above it.
    pub fn to_markdown(rows: &[ClusterRow], params: &ClusterParams) -> String {
        let members = params.saturated.members;
        let mut out = format!(
            "One room of {members} members spread over the nodes; paced: {} msg/s per member for {} messages; \
             saturated: {} messages per member. Every delivery arrived.\n\n",
            params.paced.rate.unwrap_or_default(),
            params.paced.messages,
            params.saturated.messages,
        );
        out.push_str("| backplane | nodes | paced p50 | paced p99 | saturated deliveries/s | saturated p50 | saturated p99 | CPU µs/delivery (all nodes) |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in rows {
            out.push_str(&format!(
                "| {} | {} | {:.2} ms | {:.2} ms | {:.0} | {:.1} ms | {:.1} ms | {:.1} |\n",
                row.backplane.name(),
                row.nodes,
                millis(row.paced.p50),
                millis(row.paced.p99),
                row.saturated.rate(),
                millis(row.saturated.p50),
                millis(row.saturated.p99),
                row.saturated.cpu_per_message().as_secs_f64() * 1e6,
            ));
        }
        out
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
