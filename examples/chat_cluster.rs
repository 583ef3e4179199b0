//! One node of the chat network in a cluster: run several, each on its own
//! address, sharing one Redis or NATS server, and clients on different nodes
//! chat as if on one server.
//!
//! ```sh
//! OPENWS_ADDR=127.0.0.1:8083 cargo run --example chat_cluster --features redis,nats -- --backplane redis
//! OPENWS_ADDR=127.0.0.1:8084 cargo run --example chat_cluster --features redis,nats -- --backplane redis
//! ```
//!
//! The broker comes from `REDIS_URL` (default `redis://127.0.0.1:6379`) or
//! `NATS_URL` (default `nats://127.0.0.1:4222`); nodes with the same
//! `OPENWS_CLUSTER_PREFIX` (default `openws-chat`) form one cluster. Everything
//! else is as in `chat_axum`: WebSocket at `/chat`, and the management
//! endpoints at `/openws/connections` (token `$CHAT_ADMIN_TOKEN`, default
//! `dev-admin-token`) list and push to the connections of every node.

// Shared by every example and the conformance suite; each uses a part.
#[allow(dead_code)]
mod chat;
mod server;

use axum::Router;
use clap::{Parser, ValueEnum};
use openws::axum::RouterExt;
use openws::hub::cluster::{Cluster, ClusterConfig};

/// One chat node of a cluster.
#[derive(Debug, Parser)]
struct Args {
    /// The broker joining the nodes.
    #[arg(long, value_enum)]
    backplane: Broker,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Broker {
    Redis,
    Nats,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = server::init();
    let args = Args::parse();
    let backplane = join(args.backplane).await?;
    let bindings = chat::builder_from_env()?.backplane(backplane).build()?;
    let networks = openws::Networks::new().with_viewer();
    let app = Router::new().openws("/chat", bindings.clone(), &networks);
    let tls = server::tls::from_env()?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    server::announce(listener.local_addr()?, tls.is_some());
    let mut http = openws::axum::serve(listener, app);
    if let Some(tls) = tls {
        http = http.tls(std::sync::Arc::new(tls));
    }
    http.with_graceful_shutdown(server::drain_on_signal(bindings))
        .await;
    Ok(())
}

/// Connects to the broker and joins the cluster.
async fn join(broker: Broker) -> Result<Cluster, Box<dyn std::error::Error>> {
    let prefix = env_or("OPENWS_CLUSTER_PREFIX", "openws-chat");
    let config = ClusterConfig::default().prefix(prefix);
    let cluster = match broker {
        Broker::Redis => {
            let url = env_or("REDIS_URL", "redis://127.0.0.1:6379");
            openws::redis::connect(&url, config).await?
        }
        Broker::Nats => {
            let url = env_or("NATS_URL", "nats://127.0.0.1:4222");
            openws::nats::connect(&url, config).await?
        }
    };
    Ok(cluster)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}
