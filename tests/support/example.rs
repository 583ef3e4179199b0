//! Running an example server (built by `cargo test`) as a child process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// How long an example may take to start and listen.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running example server; killed when dropped.
#[derive(Debug)]
pub(crate) struct Example {
    /// Where it serves.
    pub(crate) addr: SocketAddr,
    child: Child,
    /// Everything it logged so far.
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl Example {
    /// Starts example `name` with `args` on a free loopback port and waits
    /// until it announces where it listens.
    pub(crate) async fn start(name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(example_binary(name));
        command
            .args(args)
            .env("OPENWS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (listening, addr) = oneshot::channel();
        let mut listening = Some(listening);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let stdout_log = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(addr) = announced_addr(&line) {
                    listening.take().map(|l| l.send(addr));
                }
                stdout_log.lock().unwrap().push(line);
            }
        });
        let stderr_log = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                stderr_log.lock().unwrap().push(line);
            }
        });
        let addr = match tokio::time::timeout(START_TIMEOUT, addr).await {
            Ok(Ok(addr)) => addr,
            _ => panic!("{name} did not start: {:#?}", log.lock().unwrap()),
        };
        Self { addr, child, log }
    }

    /// Kills the process at once and waits for it.
    pub(crate) async fn kill(&mut self) {
        self.child.kill().await.expect("kill example");
    }

    /// Whether a line of its log contains `text`.
    pub(crate) fn logged(&self, text: &str) -> bool {
        self.log
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains(text))
    }

    /// The first logged line containing `text`.
    pub(crate) fn log_line(&self, text: &str) -> Option<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .find(|line| line.contains(text))
            .cloned()
    }
}

/// The address in an example's announcement, `chat server on ws://ADDR/chat`
/// (or `wss://`).
fn announced_addr(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("chat server on ")?;
    let rest = rest
        .strip_prefix("ws://")
        .or_else(|| rest.strip_prefix("wss://"))?;
    rest.split_once("/chat")?.0.parse().ok()
}

/// The example binary, built next to this test by `cargo test` (which builds examples).
fn example_binary(name: &str) -> PathBuf {
    let test = std::env::current_exe().expect("test path");
    let profile = test
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let binary = profile
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run `cargo test --workspace --all-features` (it builds the examples) first",
        binary.display()
    );
    binary
}
