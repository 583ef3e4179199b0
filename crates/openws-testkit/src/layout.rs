//! How a suite app is laid out, independent of the framework: each adapter
//! builds a [`Layout`] once, the framework's way, and the cases assert on it.

use openws::Networks;

use crate::Mount;

/// What the fallback answers, for every path nothing else serves.
pub const FALLBACK_BODY: &str = "suite fallback";

/// The header the layer of a [`Layout::layered`] app adds to every response.
pub const LAYER_HEADER: &str = "x-suite-layer";

/// The value of [`LAYER_HEADER`].
pub const LAYER_VALUE: &str = "on";

/// A route of the app's own (not OpenWS) that reads the root [`Networks`]
/// from the framework's state mechanism and answers [`network_names`].
pub const NETWORKS_ROUTE: &str = "/suite/networks";

/// An app's networks and how they are composed.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Groups of networks, each built as its own router (axum), `configure`
    /// call or scope (actix), or filter (warp), then combined in order.
    pub groups: Vec<Group>,
    /// The networks of every group without a prefix; the app's own route at
    /// [`NETWORKS_ROUTE`] reads it from the framework's state.
    pub networks: Networks,
    /// Where the app's fallback is registered, if it has one.
    pub fallback: Option<Fallback>,
    /// Whether a layer (middleware) adding [`LAYER_HEADER`] wraps the whole
    /// app, added after everything else.
    pub layered: bool,
}

/// Networks built together.
#[derive(Debug, Clone)]
pub struct Group {
    /// `None`: merged into the app's root (axum `merge`, another actix
    /// `configure`, warp `.or`). `Some("/api")`: nested under the prefix
    /// (axum `nest`, actix `scope`, warp `path("api").and(..)`).
    pub prefix: Option<&'static str>,
    /// The networks of this group's prefix: the app's root [`Networks`] for a
    /// group without prefix, one of its own for a nested group.
    pub networks: Networks,
    /// The networks of the group.
    pub mounts: Vec<Mount>,
}

/// Where an app registers its fallback, relative to its networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Before mounting any network.
    Before,
    /// After mounting every network (an SPA's usual last line). In warp,
    /// where a catch-all filter tried first would shadow every route, this is
    /// the only place a fallback goes, so both variants build the same app.
    After,
}

impl Layout {
    /// An app serving `mounts` at its root.
    pub fn root(mounts: Vec<Mount>) -> Self {
        Self::default().merged(mounts)
    }

    /// Adds a router (group) of `mounts` merged into the root.
    #[must_use]
    pub fn merged(mut self, mounts: Vec<Mount>) -> Self {
        self.groups.push(Group {
            prefix: None,
            networks: self.networks.clone(),
            mounts,
        });
        self
    }

    /// Adds a router (group) of `mounts` nested under `prefix`.
    #[must_use]
    pub fn nested(mut self, prefix: &'static str, mounts: Vec<Mount>) -> Self {
        self.groups.push(Group {
            prefix: Some(prefix),
            networks: Networks::new(),
            mounts,
        });
        self
    }

    /// Registers a fallback answering [`FALLBACK_BODY`].
    #[must_use]
    pub fn with_fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// Wraps the app in a layer adding [`LAYER_HEADER`].
    #[must_use]
    pub fn layered(mut self) -> Self {
        self.layered = true;
        self
    }
}

/// What the app's own route at [`NETWORKS_ROUTE`] answers: the names of the
/// networks, as a JSON array.
pub fn network_names(networks: &Networks) -> String {
    let names: Vec<String> = networks
        .mounted()
        .iter()
        .map(|mounted| mounted.network().name().to_owned())
        .collect();
    serde_json::to_string(&names).expect("names serialize")
}
