#![doc = include_str!("../README.md")]

pub use openws_core::*;

/// The axum adapter: `use openws::axum::RouterExt;` then `router.openws("/chat", bindings, &networks)`.
#[cfg(feature = "axum")]
pub use openws_axum as axum;

/// The actix-web adapter: `app.configure(openws::actix::network("/chat", bindings, &networks))`.
#[cfg(feature = "actix")]
pub use openws_actix as actix;

/// The warp adapter: `openws::warp::network("/chat", bindings, &networks)`, a filter.
#[cfg(feature = "warp")]
pub use openws_warp as warp;

/// The Rust client: `openws::client::Client::builder(url, role).connect()`, typed
/// clients, and the code generator behind `openws codegen rust`.
#[cfg(feature = "client")]
pub use openws_client as client;

// The macro style (crate `openws-macros`): `#[openws::role]` on remote role
// types, `#[openws::host]` on the state's `impl` block with `#[handler]` methods.
#[cfg(feature = "macros")]
pub use openws_macros::{handler, host, role};

/// The Redis backplane: `openws::redis::connect(url, config)` (feature `redis`).
#[cfg(feature = "redis")]
pub use openws_redis as redis;

/// The NATS backplane: `openws::nats::connect(url, config)` (feature `nats`).
#[cfg(feature = "nats")]
pub use openws_nats as nats;

/// The guide's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
mod guide {}
