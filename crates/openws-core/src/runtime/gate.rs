//! Admission at the upgrade: shutdown, origins, subprotocols and connection
//! limits, and the count of live connections a graceful shutdown waits on.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use http::StatusCode;
use tokio::sync::{Notify, watch};

use super::connect::{ConnectRequest, Rejection};

/// The origins a route admits, changeable while the server runs; cheap to
/// clone (clones share the list).
///
/// A request whose `Origin` header is not listed is refused with 403. Without
/// a list (the default) every origin is admitted. Requests without an `Origin`
/// header (clients other than browsers) are always admitted: the header only
/// protects browsers from pages of other sites, and other clients can send any
/// value.
///
/// ```
/// use openws_core::runtime::Origins;
///
/// let origins = Origins::any();
/// assert!(origins.allows("https://evil.example"));
/// origins.set(["https://myapp.example"]);
/// assert!(origins.allows("https://myapp.example"));
/// assert!(!origins.allows("https://evil.example"));
/// origins.set(["*"]);
/// assert!(origins.allows("https://evil.example"));
/// ```
#[derive(Clone, Default)]
pub struct Origins(Arc<RwLock<Option<Vec<String>>>>);

impl Origins {
    /// Admits every origin.
    pub fn any() -> Self {
        Self::default()
    }

    /// Admits exactly `origins` (`"*"` admits any).
    pub fn only<I, O>(origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        let list = Self::default();
        list.set(origins);
        list
    }

    /// Replaces the list; the next upgrade request sees the new one.
    pub fn set<I, O>(&self, origins: I)
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        let origins: Vec<String> = origins.into_iter().map(Into::into).collect();
        let list = (!origins.iter().any(|origin| origin == "*")).then_some(origins);
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = list;
    }

    /// The admitted origins; `None` when any is.
    pub fn list(&self) -> Option<Vec<String>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether a request from `origin` is admitted.
    pub fn allows(&self, origin: &str) -> bool {
        match &*self.0.read().unwrap_or_else(|e| e.into_inner()) {
            None => true,
            Some(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }
}

impl fmt::Debug for Origins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Origins").field(&self.list()).finish()
    }
}

/// The subprotocol a connection negotiated, as handlers read it with
/// [`Ctx::extension`](crate::Ctx::extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subprotocol(pub String);

/// What a route admits at the upgrade, and how many connections it holds.
#[derive(Debug, Default)]
pub(crate) struct GateConfig {
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_connections_per_ip: Option<usize>,
    pub(crate) origins: Origins,
    pub(crate) subprotocols: Vec<String>,
    pub(crate) subprotocol_optional: bool,
}

/// Admission control of one bound network.
#[derive(Debug)]
pub(crate) struct Gate {
    config: GateConfig,
    counts: Mutex<Counts>,
    emptied: Notify,
    shutdown: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

impl Gate {
    pub(crate) fn new(config: GateConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            counts: Mutex::default(),
            emptied: Notify::new(),
            shutdown: watch::Sender::new(false),
        })
    }

    pub(crate) fn origins(&self) -> &Origins {
        &self.config.origins
    }

    /// The checks that need no connect hook: shutdown, origin, subprotocol.
    /// Returns the subprotocol to echo.
    pub(crate) fn check(&self, request: &ConnectRequest) -> Result<Option<String>, Rejection> {
        if self.is_shutting_down() {
            return Err(Rejection::unavailable("the server is shutting down"));
        }
        if let Some(origin) = request.header("origin")
            && !self.config.origins.allows(origin)
        {
            return Err(Rejection::forbidden(format!(
                "origin `{origin}` is not allowed"
            )));
        }
        self.negotiate(request)
    }

    /// The first of the route's subprotocols the client offers.
    fn negotiate(&self, request: &ConnectRequest) -> Result<Option<String>, Rejection> {
        let spoken = &self.config.subprotocols;
        if spoken.is_empty() {
            return Ok(None);
        }
        let offered: Vec<&str> = request.subprotocols().collect();
        match spoken.iter().find(|p| offered.contains(&p.as_str())) {
            Some(chosen) => Ok(Some(chosen.clone())),
            None if self.config.subprotocol_optional => Ok(None),
            None => Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "offer one of the subprotocols this route speaks in Sec-WebSocket-Protocol: {}",
                    spoken.join(", ")
                ),
            )),
        }
    }

    /// Counts a new connection against the limits; the permit releases it when dropped.
    pub(crate) fn enter(self: &Arc<Self>, request: &ConnectRequest) -> Result<Permit, Rejection> {
        let ip = request.remote_addr().map(|addr| addr.ip());
        let mut counts = self.counts();
        if self
            .config
            .max_connections
            .is_some_and(|max| counts.total >= max)
        {
            return Err(Rejection::unavailable("too many connections"));
        }
        if let (Some(ip), Some(max)) = (ip, self.config.max_connections_per_ip) {
            if counts.per_ip.get(&ip).is_some_and(|&n| n >= max) {
                return Err(Rejection::unavailable(
                    "too many connections from this address",
                ));
            }
            *counts.per_ip.entry(ip).or_default() += 1;
        }
        counts.total += 1;
        Ok(Permit {
            gate: Arc::clone(self),
            ip: ip.filter(|_| self.config.max_connections_per_ip.is_some()),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live connections admitted through this gate.
    pub(crate) fn live(&self) -> usize {
        self.counts().total
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Stops admitting; every session's pump sees [`Gate::shutting_down`] resolve.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once a shutdown began.
    pub(crate) async fn shutting_down(&self) {
        let mut receiver = self.shutdown.subscribe();
        // The sender lives as long as the gate, which outlives this borrow.
        let _ = receiver.wait_for(|&down| down).await;
    }

    /// Waits up to `deadline` for every admitted connection to end; returns how many remain.
    pub(crate) async fn drained(&self, deadline: Duration) -> usize {
        let wait = async {
            loop {
                let emptied = self.emptied.notified();
                let mut emptied = std::pin::pin!(emptied);
                emptied.as_mut().enable();
                if self.live() == 0 {
                    return;
                }
                emptied.await;
            }
        };
        let _ = tokio::time::timeout(deadline, wait).await;
        self.live()
    }
}

/// One admitted connection's place in the limits; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct Permit {
    gate: Arc<Gate>,
    ip: Option<IpAddr>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.gate.counts();
        counts.total -= 1;
        if let Some(ip) = self.ip
            && let Some(n) = counts.per_ip.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&ip);
            }
        }
        if counts.total == 0 {
            self.gate.emptied.notify_waiters();
        }
    }
}
