//! A multi-node [`Backplane`] over any publish/subscribe broker.
//!
//! [`Cluster`] holds the protocol between nodes; a broker crate
//! (`openws-redis`, `openws-nats`) only supplies a [`Bus`]: publish bytes on a
//! channel, subscribe to channels. Every node subscribes to two channels,
//! `<prefix>.all` and `<prefix>.node.<its node id>`:
//!
//! - a broadcast is delivered on its origin node first, then published once
//!   on `all`; every other node delivers it to its own matching connections
//!   (a node ignores what it published itself, so nobody gets it twice);
//! - a push or a close by id goes to the channel of the node in the id, which
//!   answers with its [`Delivery`];
//! - a listing is asked on `all`; each node answers with its connections, and
//!   nodes that do not answer within [`ClusterConfig::answer_timeout`] are
//!   named in [`Listing::unanswered_nodes`];
//! - each node publishes a heartbeat on `all`; a node silent for
//!   [`ClusterConfig::node_ttl`] is forgotten, so a node that died stops being
//!   waited for, and its connections (which lived only in its memory) are gone.
//!
//! Delivery to other nodes is at most once: a frame published while the
//! broker is unreachable is lost for the other nodes (and logged), never
//! retried or duplicated. Frames of one sender reach each node in the order
//! they were sent. See `docs/scaling.md`.

mod wire;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use self::wire::Header;
use super::{
    Backplane, BackplaneError, ConnectionInfo, Delivery, EncodedFrame, Listing, Registry, Target,
};
use crate::runtime::{CloseFrame, ConnectionId};

/// A publish/subscribe broker as [`Cluster`] uses it.
///
/// Implementations keep their connection alive by themselves: after a broker
/// restart they reconnect, subscribe again, and log the gap.
pub trait Bus: Send + Sync + fmt::Debug + 'static {
    /// Publishes `payload` on `channel`.
    fn publish(
        &self,
        channel: String,
        payload: Bytes,
    ) -> BoxFuture<'static, Result<(), BackplaneError>>;

    /// Subscribes to `channels`; the stream yields every payload published on
    /// them, from now on, in the order the broker delivers them.
    fn subscribe(
        &self,
        channels: Vec<String>,
    ) -> BoxFuture<'static, Result<BoxStream<'static, Bytes>, BackplaneError>>;
}

/// How nodes of a [`Cluster`] find and wait for each other.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    prefix: String,
    heartbeat: Duration,
    node_ttl: Duration,
    answer_timeout: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            prefix: "openws".to_owned(),
            heartbeat: Duration::from_secs(1),
            node_ttl: Duration::from_secs(3),
            answer_timeout: Duration::from_secs(1),
        }
    }
}

impl ClusterConfig {
    /// Channel names start with `prefix` (default `openws`): nodes with the
    /// same prefix on one broker form one cluster.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How often a node says it is alive (default 1 s).
    #[must_use]
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long a silent node is still waited for (default 3 s).
    #[must_use]
    pub fn node_ttl(mut self, ttl: Duration) -> Self {
        self.node_ttl = ttl;
        self
    }

    /// How long a push or a listing waits for other nodes' answers (default 1 s).
    #[must_use]
    pub fn answer_timeout(mut self, timeout: Duration) -> Self {
        self.answer_timeout = timeout;
        self
    }

    /// The channel prefix.
    pub fn channel_prefix(&self) -> &str {
        &self.prefix
    }
}

/// A backplane joining the processes that share a broker; built by a broker
/// crate over its [`Bus`], or directly with [`Cluster::start`].
///
/// Cheap to clone; one cluster may serve several networks of a process (each
/// is told apart by name). Its background tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct Cluster {
    shared: Arc<Shared>,
    _tasks: Arc<Tasks>,
}

struct Shared {
    bus: Box<dyn Bus>,
    config: ClusterConfig,
    node: u64,
    all: String,
    networks: RwLock<HashMap<String, Registry>>,
    /// When each other node was last heard from.
    nodes: Mutex<HashMap<u64, Instant>>,
    pending: Mutex<HashMap<u64, mpsc::UnboundedSender<(u64, Answer)>>>,
    requests: AtomicU64,
}

/// Another node's answer to one of this node's requests.
enum Answer {
    Delivered(Delivery),
    Listed(Vec<ConnectionInfo>),
}

struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

impl Cluster {
    /// Subscribes this node to the cluster's channels, announces it, and
    /// starts its heartbeat; fails if the broker does not take the subscription
    /// or the first heartbeat. Must run inside a tokio runtime.
    pub async fn start(bus: impl Bus, config: ClusterConfig) -> Result<Self, BackplaneError> {
        let node = ConnectionId::this_node();
        let all = format!("{}.all", config.prefix);
        let inbound = bus
            .subscribe(vec![all.clone(), node_channel(&config, node)])
            .await?;
        let shared = Arc::new(Shared {
            bus: Box::new(bus),
            config,
            node,
            all,
            networks: RwLock::default(),
            nodes: Mutex::default(),
            pending: Mutex::default(),
            requests: AtomicU64::new(1),
        });
        shared
            .publish_to_all(&Header::Heartbeat { origin: node }, b"")
            .await?;
        let tasks = Tasks(vec![
            tokio::spawn(Arc::clone(&shared).receive(inbound)),
            tokio::spawn(Arc::clone(&shared).beat()),
        ]);
        tracing::info!(node = %node_name(node), prefix = %shared.config.prefix, "backplane: joined the cluster");
        Ok(Self {
            shared,
            _tasks: Arc::new(tasks),
        })
    }

    /// This node's id (see [`ConnectionId::node`]).
    pub fn node(&self) -> u64 {
        self.shared.node
    }

    /// The other nodes heard from within the node TTL, in no particular order.
    pub fn live_nodes(&self) -> Vec<u64> {
        self.shared.live_nodes().into_iter().collect()
    }
}

impl Shared {
    fn nodes(&self) -> MutexGuard<'_, HashMap<u64, Instant>> {
        self.nodes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<u64, mpsc::UnboundedSender<(u64, Answer)>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn registry(&self, network: &str) -> Option<Registry> {
        let networks = self.networks.read().unwrap_or_else(|e| e.into_inner());
        networks.get(network).cloned()
    }

    fn live_nodes(&self) -> HashSet<u64> {
        let ttl = self.config.node_ttl;
        self.nodes()
            .iter()
            .filter(|(_, seen)| seen.elapsed() < ttl)
            .map(|(node, _)| *node)
            .collect()
    }

    fn is_live(&self, node: u64) -> bool {
        self.nodes()
            .get(&node)
            .is_some_and(|seen| seen.elapsed() < self.config.node_ttl)
    }

    async fn publish_to_all(&self, header: &Header, frame: &[u8]) -> Result<(), BackplaneError> {
        let payload = wire::encode(header, frame);
        self.bus.publish(self.all.clone(), payload).await
    }

    async fn publish_to_node(
        &self,
        node: u64,
        header: &Header,
        frame: &[u8],
    ) -> Result<(), BackplaneError> {
        let payload = wire::encode(header, frame);
        let channel = node_channel(&self.config, node);
        self.bus.publish(channel, payload).await
    }

    /// Handles what other nodes publish until the subscription ends.
    async fn receive(self: Arc<Self>, mut inbound: BoxStream<'static, Bytes>) {
        while let Some(bytes) = inbound.next().await {
            match wire::decode(&bytes) {
                Ok((header, _)) if header.origin() == self.node => {}
                Ok((header, frame)) => self.handle(header, frame),
                Err(error) => {
                    tracing::warn!(%error, "backplane: ignored a message that is not a node's");
                }
            }
        }
        tracing::error!("backplane: the subscription ended; other nodes are no longer heard");
    }

    fn handle(self: &Arc<Self>, header: Header, frame: Bytes) {
        self.heard_from(header.origin());
        match header {
            Header::Broadcast {
                network,
                target,
                message,
                roles,
                ..
            } => {
                if let Some(registry) = self.registry(&network) {
                    registry.deliver(&target, &EncodedFrame::new(message, frame, roles));
                }
            }
            Header::Push {
                origin,
                request,
                network,
                to,
                message,
                roles,
            } => {
                let delivery = match self.registry(&network) {
                    Some(registry) => registry.push(to, &EncodedFrame::new(message, frame, roles)),
                    None => unknown(),
                };
                let answer = Header::Delivered {
                    origin: self.node,
                    request,
                    delivery,
                };
                self.answer(origin, answer);
            }
            Header::Close {
                origin,
                request,
                network,
                to,
                code,
                reason,
            } => {
                let delivery = match self.registry(&network) {
                    Some(registry) => registry.close(to, CloseFrame::new(code, reason)),
                    None => unknown(),
                };
                let answer = Header::Delivered {
                    origin: self.node,
                    request,
                    delivery,
                };
                self.answer(origin, answer);
            }
            Header::Query {
                origin,
                request,
                network,
                room,
            } => {
                let connections = self
                    .registry(&network)
                    .map(|registry| registry.list(room.as_deref()))
                    .unwrap_or_default();
                let answer = Header::Listed {
                    origin: self.node,
                    request,
                    connections,
                };
                self.answer(origin, answer);
            }
            Header::Delivered {
                origin,
                request,
                delivery,
            } => self.answered(request, origin, Answer::Delivered(delivery)),
            Header::Listed {
                origin,
                request,
                connections,
            } => self.answered(request, origin, Answer::Listed(connections)),
            Header::Heartbeat { .. } => {}
        }
    }

    fn heard_from(&self, node: u64) {
        if self.nodes().insert(node, Instant::now()).is_none() {
            tracing::info!(node = %node_name(node), "backplane: node joined");
        }
    }

    /// Sends `answer` to `node` without holding up the receiving loop.
    fn answer(self: &Arc<Self>, node: u64, answer: Header) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(error) = shared.publish_to_node(node, &answer, b"").await {
                tracing::warn!(node = %node_name(node), %error, "backplane: could not answer a node");
            }
        });
    }

    fn answered(&self, request: u64, node: u64, answer: Answer) {
        if let Some(waiting) = self.pending().get(&request) {
            let _ = waiting.send((node, answer));
        }
    }

    /// A request id and where its answers arrive, until the guard is dropped.
    fn open_request(&self) -> Request<'_> {
        let id = self.requests.fetch_add(1, Ordering::Relaxed);
        let (sender, answers) = mpsc::unbounded_channel();
        self.pending().insert(id, sender);
        Request {
            shared: self,
            id,
            answers,
        }
    }

    /// Publishes the request `header_for` builds (given its id), followed by
    /// `frame`, to `node`, and waits up to the answer timeout for that node's
    /// [`Delivery`]; `what` names the request in the error.
    /// What became of a request about connection `id`: `here` when this node
    /// holds it, an unknown id when its node is not live, else its node's answer.
    async fn ask_owner(
        &self,
        id: ConnectionId,
        here: impl FnOnce() -> Delivery,
        what: &str,
        frame: &[u8],
        header_for: impl FnOnce(u64) -> Header,
    ) -> Result<Delivery, BackplaneError> {
        let node = id.node();
        if node == self.node {
            return Ok(here());
        }
        if !self.is_live(node) {
            return Ok(unknown());
        }
        self.ask(node, what, frame, header_for).await
    }

    async fn ask(
        &self,
        node: u64,
        what: &str,
        frame: &[u8],
        header_for: impl FnOnce(u64) -> Header,
    ) -> Result<Delivery, BackplaneError> {
        let mut request = self.open_request();
        self.publish_to_node(node, &header_for(request.id), frame)
            .await?;
        let timeout = self.config.answer_timeout;
        match tokio::time::timeout(timeout, request.answers.recv()).await {
            Ok(Some((_, Answer::Delivered(delivery)))) => Ok(delivery),
            _ => Err(BackplaneError(format!(
                "node {} did not answer a {what} within {timeout:?}",
                node_name(node)
            ))),
        }
    }

    /// Says this node is alive, forgets silent nodes, and logs the broker's outages.
    async fn beat(self: Arc<Self>) {
        let mut ticks = tokio::time::interval(self.config.heartbeat);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut down_since: Option<Instant> = None;
        loop {
            ticks.tick().await;
            let heartbeat = Header::Heartbeat { origin: self.node };
            match (self.publish_to_all(&heartbeat, b"").await, down_since) {
                (Ok(()), Some(since)) => {
                    tracing::warn!(gap = ?since.elapsed(), "backplane: broker reachable again; frames for other nodes in the gap were lost");
                    down_since = None;
                }
                (Err(error), None) => {
                    tracing::warn!(%error, "backplane: broker unreachable; other nodes miss this node's frames until it is back");
                    down_since = Some(Instant::now());
                }
                _ => {}
            }
            self.forget_silent_nodes();
        }
    }

    fn forget_silent_nodes(&self) {
        let ttl = self.config.node_ttl;
        self.nodes().retain(|node, seen| {
            let alive = seen.elapsed() < ttl;
            if !alive {
                tracing::warn!(node = %node_name(*node), ?ttl, "backplane: node silent past its TTL, forgotten with its connections");
            }
            alive
        });
    }

    /// Every other node's connections of `network` (or members of `room`),
    /// waiting up to the answer timeout for the nodes known to be alive.
    async fn gather(&self, network: &str, room: Option<&str>) -> Result<Listing, BackplaneError> {
        let expected = self.live_nodes();
        let mut request = self.open_request();
        let query = Header::Query {
            origin: self.node,
            request: request.id,
            network: network.to_owned(),
            room: room.map(str::to_owned),
        };
        self.publish_to_all(&query, b"").await?;
        let mut listing = Listing::default();
        let mut answered = HashSet::new();
        let deadline = tokio::time::sleep(self.config.answer_timeout);
        tokio::pin!(deadline);
        while !expected.is_subset(&answered) {
            tokio::select! {
                answer = request.answers.recv() => match answer {
                    Some((node, Answer::Listed(connections))) if answered.insert(node) => {
                        listing.connections.extend(connections);
                    }
                    Some(_) => {}
                    None => break,
                },
                () = &mut deadline => break,
            }
        }
        let mut silent: Vec<u64> = expected.difference(&answered).copied().collect();
        silent.sort_unstable();
        listing.unanswered_nodes = silent.into_iter().map(node_name).collect();
        Ok(listing)
    }
}

/// A request waiting for answers; it stops listening when dropped.
struct Request<'a> {
    shared: &'a Shared,
    id: u64,
    answers: mpsc::UnboundedReceiver<(u64, Answer)>,
}

impl Drop for Request<'_> {
    fn drop(&mut self) {
        self.shared.pending().remove(&self.id);
    }
}

impl Backplane for Cluster {
    fn attach(&self, local: Registry) {
        let mut networks = self
            .shared
            .networks
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if networks.insert(local.network().to_owned(), local).is_some() {
            tracing::warn!("backplane: a second network with the same name replaced the first");
        }
    }

    fn broadcast<'a>(
        &'a self,
        local: &'a Registry,
        target: &'a Target,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(async move {
            let delivery = local.deliver(target, frame);
            let header = Header::Broadcast {
                origin: self.shared.node,
                network: local.network().to_owned(),
                target: target.clone(),
                message: frame.message.clone(),
                roles: frame.roles.clone(),
            };
            if let Err(error) = self.shared.publish_to_all(&header, &frame.bytes).await {
                tracing::warn!(%error, message = %frame.message, "backplane: broadcast not published; other nodes miss it");
            }
            Ok(delivery)
        })
    }

    fn push<'a>(
        &'a self,
        local: &'a Registry,
        to: ConnectionId,
        frame: &'a EncodedFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let header_for = |request| Header::Push {
                origin: shared.node,
                request,
                network: local.network().to_owned(),
                to,
                message: frame.message.clone(),
                roles: frame.roles.clone(),
            };
            let here = || local.push(to, frame);
            shared
                .ask_owner(to, here, "push", &frame.bytes, header_for)
                .await
        })
    }

    fn close<'a>(
        &'a self,
        local: &'a Registry,
        id: ConnectionId,
        frame: &'a CloseFrame,
    ) -> BoxFuture<'a, Result<Delivery, BackplaneError>> {
        Box::pin(async move {
            let shared = &self.shared;
            let header_for = |request| Header::Close {
                origin: shared.node,
                request,
                network: local.network().to_owned(),
                to: id,
                code: frame.code,
                reason: frame.reason.clone(),
            };
            let here = || local.close(id, frame.clone());
            shared.ask_owner(id, here, "close", b"", header_for).await
        })
    }

    fn connections<'a>(
        &'a self,
        local: &'a Registry,
        room: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Listing, BackplaneError>> {
        Box::pin(async move {
            let mut listing = self.shared.gather(local.network(), room).await?;
            let mut connections = local.list(room);
            connections.append(&mut listing.connections);
            listing.connections = connections;
            Ok(listing)
        })
    }

    fn room_exists<'a>(
        &'a self,
        local: &'a Registry,
        room: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackplaneError>> {
        Box::pin(async move {
            if local.has_room(room) {
                return Ok(true);
            }
            let listing = self.shared.gather(local.network(), Some(room)).await?;
            Ok(!listing.connections.is_empty())
        })
    }
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &node_name(self.shared.node))
            .field("prefix", &self.shared.config.prefix)
            .field("bus", &self.shared.bus)
            .finish_non_exhaustive()
    }
}

/// A node id as logs and listings show it: 16 hex digits.
pub fn node_name(node: u64) -> String {
    format!("{node:016x}")
}

fn node_channel(config: &ClusterConfig, node: u64) -> String {
    format!("{}.node.{}", config.prefix, node_name(node))
}

fn unknown() -> Delivery {
    Delivery {
        unknown: 1,
        ..Delivery::default()
    }
}
