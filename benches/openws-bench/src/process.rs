//! Servers as child processes: started on a free loopback port, read for
//! their resident set, killed at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::{Error, Server};

/// The longest a server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// `USER_HZ`, the unit of `/proc/<pid>/stat` times: 100 on every Linux ABI.
const CLOCK_TICKS_PER_SECOND: u64 = 100;
/// The longest `npm ci` may take.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);

/// A server running in its own process.
#[derive(Debug)]
pub(crate) struct Running {
    child: Child,
    addr: SocketAddr,
    // Kept open so the server never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Starts `server` (Rust servers through `exe serve .. serve_args`),
    /// waits until it accepts.
    pub(crate) async fn start_with(
        server: Server,
        exe: &Path,
        serve_args: &[&str],
    ) -> Result<Self, Error> {
        let mut command = match server {
            Server::Node => {
                install_node().await?;
                let mut command = Command::new("node");
                command.arg(node_dir().join("server.js")).env("PORT", "0");
                command
            }
            _ => {
                let mut command = Command::new(exe);
                command.args(["serve", "--server", server.name(), "--addr", "127.0.0.1:0"]);
                command.args(serve_args);
                command
            }
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", server.name()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| format!("{} did not start listening in time", server.name()))??
            .ok_or_else(|| format!("{} exited before listening", server.name()))?;
        let addr: SocketAddr = line
            .strip_prefix("listening ")
            .ok_or_else(|| format!("{} printed `{line}`", server.name()))?
            .parse()?;
        let running = Self {
            child,
            addr,
            _stdout: lines,
        };
        running.wait_accepting().await?;
        Ok(running)
    }

    async fn wait_accepting(&self) -> Result<(), Error> {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("nothing accepts on {}", self.addr).into())
    }

    /// Where the server listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's resident set size in KiB, from `/proc/<pid>/status`.
    pub(crate) fn rss_kib(&self) -> Result<u64, Error> {
        let pid = self.child.id().ok_or("the server has exited")?;
        rss_kib(pid)
    }

    /// CPU time the server has used so far (user + system, all threads),
    /// from `/proc/<pid>/stat`.
    pub(crate) fn cpu_time(&self) -> Result<Duration, Error> {
        let pid = self.child.id().ok_or("the server has exited")?;
        cpu_time(pid)
    }

    /// Kills the server and reaps it.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// CPU time process `pid` has used so far (user + system, all threads),
/// from `/proc/<pid>/stat`.
pub(crate) fn cpu_time(pid: u32) -> Result<Duration, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("unreadable /proc stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).ok_or("no utime")?.parse::<u64>()?
        + fields.get(12).ok_or("no stime")?.parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 1000 / CLOCK_TICKS_PER_SECOND))
}

/// `VmRSS` of process `pid`, KiB.
pub(crate) fn rss_kib(pid: u32) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .ok_or("no VmRSS in /proc status")?;
    let kib = line.trim().trim_end_matches("kB").trim();
    Ok(kib.parse()?)
}

/// `benches/node`, where the Node server and its lockfile live.
pub(crate) fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../node")
}

/// Runs `benches/node/install.sh` (`npm ci`) when `node_modules` is missing.
async fn install_node() -> Result<(), Error> {
    let dir = node_dir();
    if dir.join("node_modules").is_dir() {
        return Ok(());
    }
    eprintln!("installing the Node server's dependencies (npm ci)");
    let mut install = Command::new("sh")
        .arg(dir.join("install.sh"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("running install.sh: {e}"))?;
    let status = tokio::time::timeout(INSTALL_TIMEOUT, install.wait())
        .await
        .map_err(|_| "npm ci did not finish in time")??;
    if !status.success() {
        return Err(format!("npm ci failed: {status}").into());
    }
    Ok(())
}
