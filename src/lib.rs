#![doc = include_str!("../README.md")]

pub use openws_core::*;

/// The axum adapter: `use openws::axum::RouterExt;` then `router.openws("/chat", bindings)`.
#[cfg(feature = "axum")]
pub use openws_axum as axum;
