//! The benchmark instrument of openws-rs: chat servers (openws-rs on each
//! adapter, a hand-written axum server as the limit, and the Node original),
//! a load generator that drives them over loopback WebSockets, and the
//! per-frame cost of the core. `docs/benchmarks.md` describes the scenarios;
//! `cargo run --release -p openws-bench -- all` runs them and prints the table.

// The seed's chat network and rooms logic, exactly as the examples serve it.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../examples/chat/mod.rs"]
mod chat;

mod cli;
mod client;
pub mod frame;
mod process;
mod report;
mod scenario;
mod servers;
mod suite;

pub use cli::{Cli, run};
pub use report::Report;
pub use scenario::{
    BroadcastParams, BroadcastResult, BroadcastStep, ChurnParams, ChurnResult, ClusterParams,
    ClusterRow, Deliveries, FanoutParams, FanoutResult, MemoryParams, MemoryResult,
    P99_RATIO_TARGET, RSS_GROWTH_TARGET, ScaleParams, ScaleResult, SlowParams, SlowResult,
    SoakParams, SoakResult,
};
pub use servers::{Backplane, Server, SessionOverrides};
pub use suite::{FrameCost, Suite};

/// Any failure of the harness, with a message saying what went wrong.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
