//! The networks an app serves under one prefix, combined into one OpenWS document.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use http::uri::Authority;

use crate::Bindings;
use crate::network::Network;
use crate::spec::{Document, Endpoint, NetworkSpec};

/// A network mounted at an HTTP path.
#[derive(Debug, Clone)]
pub struct MountedNetwork {
    path: String,
    bindings: Bindings,
}

impl MountedNetwork {
    /// Records that `bindings` serve at `path` (a leading `/` is added if missing).
    pub fn new(path: &str, bindings: &Bindings) -> Self {
        Self {
            path: format!("/{}", path.trim_start_matches('/')),
            bindings: bindings.clone(),
        }
    }

    /// The HTTP path of the WebSocket route, relative to the app's prefix.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The network served there.
    pub fn network(&self) -> &Network {
        self.bindings.network()
    }

    /// The bound network: its runtime, sessions and limits.
    pub fn bindings(&self) -> &Bindings {
        &self.bindings
    }

    fn is_same_mount(&self, other: &Self) -> bool {
        self.path == other.path && self.network() == other.network()
    }
}

/// The OpenWS networks an app serves under one prefix, and the app-level
/// endpoints under `{prefix}/openws/` (see [`Networks::respond`]).
///
/// Cheap to clone; clones share the same networks. Each adapter's mounting
/// call adds its network here, so hand the same `Networks` to every network
/// served under one prefix (including routers you merge), and keep a clone in
/// your framework's state to read the networks from your own handlers.
///
/// ```
/// use openws_core::Networks;
///
/// let networks = Networks::new();
/// let document = networks.document("", Some("127.0.0.1:8082"), false);
/// assert!(document.networks.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Networks {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    mounted: RwLock<Vec<MountedNetwork>>,
    /// Whether the viewer page is served (see [`Networks::with_viewer`]).
    viewer: AtomicBool,
    /// The prefix the endpoints were first requested under, to flag a second one.
    prefix: Mutex<Option<String>>,
}

impl Networks {
    /// An app with no networks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also serves the spec viewer and try-it page at `{prefix}/openws/ui`
    /// ([`viewer`](crate::viewer)). Off by default: the page lets anyone who
    /// reaches the app read the spec and send frames from a browser.
    #[must_use]
    pub fn with_viewer(self) -> Self {
        self.inner.viewer.store(true, Ordering::Relaxed);
        self
    }

    /// Whether the viewer page is served.
    pub fn serves_viewer(&self) -> bool {
        self.inner.viewer.load(Ordering::Relaxed)
    }

    /// Adds `bindings`, served at `path`. Mounting the same network at the
    /// same path again (as actix does once per worker) changes nothing.
    pub fn mount(&self, path: &str, bindings: &Bindings) {
        let mounted = MountedNetwork::new(path, bindings);
        let mut all = self
            .inner
            .mounted
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !all.iter().any(|m| m.is_same_mount(&mounted)) {
            all.push(mounted);
        }
    }

    /// The mounted networks, in the order they were mounted.
    pub fn mounted(&self) -> Vec<MountedNetwork> {
        self.inner
            .mounted
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// One OpenWS document of every mounted network. Each host role lists the
    /// endpoint it is served at: `prefix` followed by its path, at the
    /// request's `Host` (`authority`), when there is one, with `scheme` `wss`
    /// when the request came over TLS (`tls`), else `ws`. The document, its
    /// networks, roles and messages carry their `name` ([`Document::fill_names`]).
    ///
    /// A network mounted at several paths lists each path; a different network
    /// reusing a name already listed is left out (and logged).
    pub fn document(&self, prefix: &str, authority: Option<&str>, tls: bool) -> Document {
        let scheme = if tls { "wss" } else { "ws" };
        let default_port = if tls { 443 } else { 80 };
        let address = authority
            .and_then(|a| a.parse::<Authority>().ok())
            .map(|a| (a.host().to_owned(), a.port_u16().unwrap_or(default_port)));
        let mut document = Document::new();
        for mounted in self.mounted() {
            let network = mounted.network();
            let listed = document
                .networks
                .entry(network.name().to_owned())
                .or_insert_with(|| network.spec().clone());
            if without_endpoints(listed) != without_endpoints(network.spec()) {
                tracing::warn!(
                    network = network.name(),
                    path = mounted.path,
                    "two different networks share a name; listing the first"
                );
                continue;
            }
            if let Some((host, port)) = &address {
                let role = &mut listed.roles[network.host_role()];
                let endpoint = Endpoint {
                    host: host.clone(),
                    port: *port,
                    path: format!("{prefix}{}", mounted.path),
                    scheme: Some(scheme.to_owned()),
                    extensions: Default::default(),
                };
                let endpoints = role.endpoints.get_or_insert_with(Vec::new);
                if !endpoints.contains(&endpoint) {
                    endpoints.push(endpoint);
                }
            }
        }
        document.fill_names();
        document
    }

    /// Logs (once per new prefix) when these networks answer under a second
    /// prefix: their paths are relative to one prefix, so one of the two lists
    /// wrong endpoints.
    pub(crate) fn check_prefix(&self, prefix: &str) {
        let mut seen = self
            .inner
            .prefix
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match seen.as_deref() {
            None => *seen = Some(prefix.to_owned()),
            Some(first) if first != prefix => {
                tracing::warn!(
                    first,
                    prefix,
                    "one `Networks` is served under two prefixes; give each prefix \
                     (each nested router, scope or path filter) its own `Networks`"
                );
                *seen = Some(prefix.to_owned());
            }
            Some(_) => {}
        }
    }
}

fn without_endpoints(spec: &NetworkSpec) -> NetworkSpec {
    let mut spec = spec.clone();
    for role in spec.roles.values_mut() {
        role.endpoints = None;
    }
    spec
}
