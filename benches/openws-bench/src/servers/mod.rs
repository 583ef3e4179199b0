//! The servers under comparison. Each speaks the chat network at `/chat` and
//! the chat network plus `broadcast` at `/bench` (see `docs/benchmarks.md`);
//! openws-rs on axum also serves `/scale`, the scale scenario's route.

pub(crate) mod limit;
pub(crate) mod openws;
mod session;

use std::net::SocketAddr;

use crate::Error;

pub use session::SessionOverrides;

/// A server the harness can start and drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Server {
    /// Hand-written axum + serde_json, no framework: what a framework can at best equal.
    Limit,
    /// Fastify + @fastify/websocket + Ajv, the stack of `@polytric/fastify-openws`.
    Node,
    /// openws-rs on axum.
    OpenwsAxum,
    /// openws-rs on actix-web.
    OpenwsActix,
    /// openws-rs on warp.
    OpenwsWarp,
}

impl Server {
    /// Every server, in table order.
    pub const ALL: [Server; 5] = [
        Server::Limit,
        Server::Node,
        Server::OpenwsAxum,
        Server::OpenwsActix,
        Server::OpenwsWarp,
    ];

    /// The servers written in Rust (no Node needed).
    pub const RUST: [Server; 4] = [
        Server::Limit,
        Server::OpenwsAxum,
        Server::OpenwsActix,
        Server::OpenwsWarp,
    ];

    /// openws-rs on each adapter.
    pub const OPENWS: [Server; 3] = [Server::OpenwsAxum, Server::OpenwsActix, Server::OpenwsWarp];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Server::Limit => "limit",
            Server::Node => "node",
            Server::OpenwsAxum => "openws-axum",
            Server::OpenwsActix => "openws-actix",
            Server::OpenwsWarp => "openws-warp",
        }
    }

    /// Whether this is openws-rs on one of its adapters.
    pub fn is_openws(self) -> bool {
        matches!(
            self,
            Server::OpenwsAxum | Server::OpenwsActix | Server::OpenwsWarp
        )
    }
}

/// What joins the nodes of a cluster run (`/chat` and `/scale`; `/bench` stays local).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backplane {
    /// One process, the in-process hub.
    Local,
    /// Redis publish/subscribe at `REDIS_URL` (default `redis://127.0.0.1:6379`).
    Redis,
    /// NATS at `NATS_URL` (default `nats://127.0.0.1:4222`).
    Nats,
}

impl Backplane {
    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Backplane::Local => "local",
            Backplane::Redis => "redis",
            Backplane::Nats => "nats",
        }
    }

    /// Joins the cluster of nodes using `prefix`; `None` for the local hub.
    pub(crate) async fn join(
        self,
        prefix: &str,
    ) -> Result<Option<::openws::hub::cluster::Cluster>, Error> {
        let config = ::openws::hub::cluster::ClusterConfig::default().prefix(prefix);
        let url = |name: &str, default: &str| std::env::var(name).unwrap_or(default.to_owned());
        Ok(match self {
            Backplane::Local => None,
            Backplane::Redis => Some(
                ::openws::redis::connect(&url("REDIS_URL", "redis://127.0.0.1:6379"), config)
                    .await?,
            ),
            Backplane::Nats => Some(
                ::openws::nats::connect(&url("NATS_URL", "nats://127.0.0.1:4222"), config).await?,
            ),
        })
    }
}

/// Serves `server` on `addr` until the process is killed, printing
/// `listening <addr>` on stdout once it accepts connections. `/chat` and
/// `/scale` go through `backplane` (openws-rs on axum only), and `/chat` runs
/// with `overrides` of the session limits (openws-rs only).
pub(crate) fn serve(
    server: Server,
    addr: SocketAddr,
    backplane: Backplane,
    prefix: &str,
    overrides: &SessionOverrides,
) -> Result<(), Error> {
    if backplane != Backplane::Local && server != Server::OpenwsAxum {
        return Err("a backplane is only wired for --server openws-axum".into());
    }
    if !overrides.is_default() && !server.is_openws() {
        return Err("session limits are only wired for the openws servers".into());
    }
    // Quiet unless asked: `RUST_LOG=debug` shows, for instance, peers not reached.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    match server {
        Server::Limit => limit::serve(addr),
        Server::OpenwsAxum => openws::serve_axum(addr, backplane, prefix, overrides),
        Server::OpenwsActix => openws::serve_actix(addr, overrides),
        Server::OpenwsWarp => openws::serve_warp(addr, overrides),
        Server::Node => Err("the Node server runs under node: benches/node/server.js".into()),
    }
}

/// Announces the bound address to the harness reading our stdout.
fn announce(addr: SocketAddr) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening {addr}");
    let _ = stdout.flush();
}

/// A listening socket on `addr` with Nagle's algorithm off; accepted
/// connections inherit that on Linux, whatever the framework does with them.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Pending connections each server's listener holds (the scenarios connect 64 at a time).
const LISTEN_BACKLOG: u32 = 1024;

/// The multi-threaded tokio runtime every tokio-based server runs on.
fn tokio_runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// `broadcast`, the one message the benchmark adds to the chat network (at
/// `/bench` only): the server sends `receivedMessage` with room `*` to every
/// user but the sender.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Broadcast {
    pub(crate) user_id: String,
    pub(crate) text: String,
}

impl Broadcast {
    /// What every other user receives.
    pub(crate) fn received(self) -> crate::chat::ReceivedMessage {
        crate::chat::ReceivedMessage {
            room_id: "*".to_owned(),
            sender_id: self.user_id,
            text: self.text,
        }
    }
}
