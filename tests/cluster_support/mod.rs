//! Running `chat_cluster` nodes as child processes, and talking to their
//! management endpoints.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use openws_testkit::http_get;
use serde_json::Value;
use tokio::process::{Child, Command};

// Shared with the TLS tests; each uses a part.
#[allow(dead_code)]
#[path = "../support/example.rs"]
mod example;

use example::{Example, START_TIMEOUT};

/// A running `chat_cluster` process; killed when dropped.
pub(crate) type Node = Example;

impl Node {
    /// Starts a `chat_cluster` node of cluster `prefix` over `backplane` on a
    /// free port and waits until it listens.
    pub(crate) async fn join(backplane: &str, prefix: &str, env: &[(&str, &str)]) -> Self {
        let mut env = env.to_vec();
        env.push(("OPENWS_CLUSTER_PREFIX", prefix));
        Example::start("chat_cluster", &["--backplane", backplane], &env).await
    }
}

/// A channel prefix no other run uses.
pub(crate) fn unique_prefix(backplane: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("openws-test.{backplane}.{}-{nanos}", std::process::id())
}

/// One request to the management endpoints with the example's admin token:
/// the status and the JSON body.
pub(crate) async fn management(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let headers = [
        ("Authorization", "Bearer dev-admin-token"),
        ("Content-Type", "application/json"),
    ];
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        http_get::request_on(stream, &addr.to_string(), method, path, &headers, body).await
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("management request timed out");
    let json = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    (response.status, json)
}

/// A broker of this test's own on a free loopback port (the machine's
/// `redis-server` or `nats-server`), to restart without disturbing anyone.
#[derive(Debug)]
pub(crate) struct PrivateBroker {
    kind: &'static str,
    port: u16,
    child: Child,
}

impl PrivateBroker {
    /// Starts `redis` or `nats` on a free port and waits until it accepts connections.
    pub(crate) async fn start(kind: &'static str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        Self::start_on(kind, port).await
    }

    async fn start_on(kind: &'static str, port: u16) -> Self {
        let port_text = port.to_string();
        let mut command = match kind {
            "redis" => {
                let mut c = Command::new("redis-server");
                c.args([
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    &port_text,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ]);
                c
            }
            _ => {
                let mut c = Command::new(nats_server());
                c.args(["-a", "127.0.0.1", "-p", &port_text]);
                c
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {kind} server: {e}"));
        let accepting = async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(START_TIMEOUT, accepting)
            .await
            .unwrap_or_else(|_| panic!("{kind} server did not listen on {port}"));
        Self { kind, port, child }
    }

    /// The URL clients connect to.
    pub(crate) fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.kind, self.port)
    }

    /// Kills the server, then starts a fresh one on the same port.
    pub(crate) async fn restart(&mut self) {
        self.child.kill().await.expect("kill broker");
        let fresh = Self::start_on(self.kind, self.port).await;
        *self = fresh;
    }

    /// Kills the server.
    pub(crate) async fn stop(&mut self) {
        self.child.kill().await.expect("kill broker");
    }
}

/// `nats-server` from `PATH`, else where Debian installs it.
fn nats_server() -> PathBuf {
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .map(|dir| dir.join("nats-server"))
            .collect::<Vec<_>>()
    });
    on_path
        .chain([PathBuf::from("/usr/sbin/nats-server")])
        .find(|candidate| candidate.exists())
        .unwrap_or_else(|| PathBuf::from("nats-server"))
}

/// Waits until `condition` holds, checking every 100 ms, for at most `limit`.
pub(crate) async fn eventually(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let waiting = async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(limit, waiting)
        .await
        .unwrap_or_else(|_| panic!("not within {limit:?}: {what}"));
}
