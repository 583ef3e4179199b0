//! Spec discovery: the networks an app mounts, combined into one OpenWS document.

use http::uri::Authority;

use crate::Bindings;
use crate::network::Network;
use crate::spec::{Document, Endpoint};

/// A network mounted at an HTTP path.
#[derive(Debug, Clone)]
pub struct MountedNetwork {
    path: String,
    network: Network,
}

impl MountedNetwork {
    /// Records that `bindings` serve at `path`.
    pub fn new(path: impl Into<String>, bindings: &Bindings) -> Self {
        Self {
            path: path.into(),
            network: bindings.network().clone(),
        }
    }

    /// The HTTP path of the WebSocket route.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The network served there.
    pub fn network(&self) -> &Network {
        &self.network
    }
}

/// Every network an app serves, for its spec endpoint.
///
/// ```
/// use openws_core::SpecRegistry;
///
/// let registry = SpecRegistry::default();
/// let document = registry.document(Some("127.0.0.1:8082"));
/// assert!(document.networks.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SpecRegistry {
    mounted: Vec<MountedNetwork>,
}

impl SpecRegistry {
    /// Where adapters serve [`document`](Self::document): `GET /openws/spec.json`.
    pub const PATH: &str = "/openws/spec.json";

    /// Adds a mounted network.
    pub fn add(&mut self, mounted: MountedNetwork) {
        self.mounted.push(mounted);
    }

    /// The same networks in the opposite order.
    #[must_use]
    pub fn reversed(mut self) -> Self {
        self.mounted.reverse();
        self
    }

    /// The mounted networks, in the order they were added.
    pub fn mounted(&self) -> &[MountedNetwork] {
        &self.mounted
    }

    /// One OpenWS document of every mounted network. With the request's
    /// `Host` (`authority`), each host role lists the endpoint it is served at.
    ///
    /// A network mounted at several paths lists each path; a different network
    /// reusing a name already listed is left out (and logged).
    pub fn document(&self, authority: Option<&str>) -> Document {
        let address = authority
            .and_then(|a| a.parse::<Authority>().ok())
            .map(|a| (a.host().to_owned(), a.port_u16().unwrap_or(80)));
        let mut document = Document::new();
        for mounted in &self.mounted {
            let name = mounted.network.name();
            let spec = mounted.network.spec();
            let listed = document
                .networks
                .entry(name.to_owned())
                .or_insert_with(|| spec.clone());
            if without_endpoints(listed) != without_endpoints(spec) {
                tracing::warn!(
                    network = name,
                    path = mounted.path,
                    "two different networks share a name; listing the first"
                );
                continue;
            }
            if let Some((host, port)) = &address {
                let role = &mut listed.roles[mounted.network.host_role()];
                let endpoint = Endpoint {
                    host: host.clone(),
                    port: *port,
                    path: mounted.path.clone(),
                    extensions: Default::default(),
                };
                let endpoints = role.endpoints.get_or_insert_with(Vec::new);
                if !endpoints.contains(&endpoint) {
                    endpoints.push(endpoint);
                }
            }
        }
        document
    }
}

fn without_endpoints(spec: &crate::spec::NetworkSpec) -> crate::spec::NetworkSpec {
    let mut spec = spec.clone();
    for role in spec.roles.values_mut() {
        role.endpoints = None;
    }
    spec
}
