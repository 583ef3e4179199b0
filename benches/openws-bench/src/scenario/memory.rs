//! Idle memory: the server's resident set growth per idle session. Each
//! session is a connection on `/chat` that created its own room (so the
//! server holds its user and peer handle), then sends nothing.

use std::time::Duration;

use crate::Error;
use crate::client::open_users;
use crate::process::Running;

/// The shape of an idle-memory run.
#[derive(Debug, Clone, Copy)]
pub struct MemoryParams {
    /// Idle sessions opened after the baseline.
    pub sessions: usize,
    /// Sessions opened before the baseline, so runtime start-up costs are not counted.
    pub warmup: usize,
    /// Pause before each reading of the resident set.
    pub settle: Duration,
}

/// What an idle-memory run measured.
#[derive(Debug, Clone, Copy)]
pub struct MemoryResult {
    /// Idle sessions opened after the baseline.
    pub sessions: usize,
    /// Server RSS after the warm-up sessions, KiB.
    pub baseline_kib: u64,
    /// Server RSS with the idle sessions open, KiB.
    pub loaded_kib: u64,
}

impl MemoryResult {
    /// Resident bytes per idle session.
    pub fn per_session_bytes(&self) -> f64 {
        let growth = self.loaded_kib.saturating_sub(self.baseline_kib) as f64 * 1024.0;
        growth / self.sessions.max(1) as f64
    }
}

/// Runs the scenario against `server`.
pub(crate) async fn run(server: &Running, params: &MemoryParams) -> Result<MemoryResult, Error> {
    let addr = server.addr();
    let warm = (0..params.warmup).map(|i| (format!("w-{i}"), format!("w-room-{i}")));
    let warm = open_users(addr, "/chat", warm).await?;
    tokio::time::sleep(params.settle).await;
    let baseline_kib = server.rss_kib()?;
    let idle = (0..params.sessions).map(|i| (format!("m-{i}"), format!("m-room-{i}")));
    let idle = open_users(addr, "/chat", idle).await?;
    tokio::time::sleep(params.settle).await;
    let loaded_kib = server.rss_kib()?;
    drop((idle, warm));
    Ok(MemoryResult {
        sessions: params.sessions,
        baseline_kib,
        loaded_kib,
    })
}
