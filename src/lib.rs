#![doc = include_str!("../README.md")]

pub use openws_core::*;

/// The axum adapter: `use openws::axum::RouterExt;` then `router.openws("/chat", bindings)`.
#[cfg(feature = "axum")]
pub use openws_axum as axum;

/// The actix-web adapter: `app.configure(openws::actix::network("/chat", bindings))`.
#[cfg(feature = "actix")]
pub use openws_actix as actix;

/// The warp adapter: `openws::warp::network("/chat", bindings, &specs).or(openws::warp::spec(&specs))`.
#[cfg(feature = "warp")]
pub use openws_warp as warp;

// The macro style (crate `openws-macros`): `#[openws::role]` on remote role
// types, `#[openws::host]` on the state's `impl` block with `#[handler]` methods.
#[cfg(feature = "macros")]
pub use openws_macros::{handler, host, role};

/// The guide's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guide.md")]
mod guide {}
