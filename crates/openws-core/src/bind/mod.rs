//! Binding handlers to a network, and choosing the role of each connection.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tower::{Layer, Service};

use crate::contract::Contract;
use crate::guard::Guard;
use crate::handler::{self, BoxError, Handler, MessageHandlers, Router, RouterParts};
use crate::hub::{Backplane, DEFAULT_MAX_ROOMS_PER_CONNECTION, Hub, LocalBackplane};
use crate::middleware::{self, MessageService, Request};
use crate::network::Network;
use crate::reply::Response;
use crate::runtime::{
    Admission, ConnectHook, ConnectRequest, Ctx, Gate, GateConfig, LifecycleHook, Origins, Outbox,
    RateLimit, Rejection, RoleRule, Runtime, Session, SessionConfig,
};

/// Why handlers could not be bound to a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// A handler was given for a message the host role does not accept.
    #[error("network `{network}` has no message `{message}` for its host role `{host}`; it accepts: {}", .accepted.join(", "))]
    UnknownMessage {
        /// The network's name.
        network: String,
        /// The host role's name.
        host: String,
        /// The message named by the handler.
        message: String,
        /// The messages the host role accepts.
        accepted: Vec<String>,
    },
    /// Two handlers were given for one message (and one sender).
    #[error("message `{message}` already has a handler{}", .sender.as_ref().map(|r| format!(" for role `{r}`")).unwrap_or_default())]
    DuplicateHandler {
        /// The message.
        message: String,
        /// The sender the handlers were scoped to, if any.
        sender: Option<String>,
    },
    /// A sender-scoped handler names a role the message's `from` list does not allow.
    #[error("role `{role}` may not send `{message}`; its senders are: {}", .allowed.join(", "))]
    ForbiddenSender {
        /// The message.
        message: String,
        /// The role named.
        role: String,
        /// The roles allowed to send the message.
        allowed: Vec<String>,
    },
    /// Host messages were left without a handler (see [`BindingsBuilder::allow_unhandled`]).
    #[error("network `{network}`: no handler for {}", .messages.join(", "))]
    Unhandled {
        /// The network's name.
        network: String,
        /// The messages without a handler.
        messages: Vec<String>,
    },
    /// A route option names a role that is not a remote role of the network.
    #[error("`{role}` is not a role a connection can hold in network `{network}`; remote roles: {}", .remote.join(", "))]
    UnknownRole {
        /// The network's name.
        network: String,
        /// The role named.
        role: String,
        /// The roles connections can hold.
        remote: Vec<String>,
    },
    /// Nothing says which role a connection holds.
    #[error("network `{network}` has several remote roles ({}); choose with `fixed_role`, `open_roles` or `on_connect`", .remote.join(", "))]
    NoRoleSelection {
        /// The network's name.
        network: String,
        /// The roles connections can hold.
        remote: Vec<String>,
    },
    /// A payload schema failed to compile.
    #[error("schema of `{role}.{message}` does not compile: {reason}")]
    Schema {
        /// The role accepting the message.
        role: String,
        /// The message.
        message: String,
        /// The compiler's error.
        reason: String,
    },
}

/// Declares the handlers and connection policy of a network; see [`Bindings::builder`].
#[must_use]
pub struct BindingsBuilder<S> {
    network: Network,
    state: Arc<S>,
    handlers: HashMap<String, MessageHandlers>,
    router: RouterParts,
    fixed_role: Option<String>,
    open_roles: Vec<String>,
    connect_hook: Option<ConnectHook>,
    open_hooks: Vec<LifecycleHook>,
    close_hooks: Vec<LifecycleHook>,
    allow_unhandled: bool,
    config: SessionConfig,
    gate: GateConfig,
    backplane: Arc<dyn Backplane>,
    max_rooms: usize,
    management_token: Option<String>,
}

impl<S: Send + Sync + 'static> BindingsBuilder<S> {
    /// Binds `handler` to the host message `message`, for every role allowed to send it.
    ///
    /// The handler's arguments are [extractors](crate::extract), then the
    /// payload: whatever type the handler takes (`serde_json::Value` for
    /// dynamic payloads), deserialized after the payload passed the message's
    /// schema. A sender with its own handler (see
    /// [`BindingsBuilder::from_role`]) uses that one instead.
    pub fn on<T, H>(self, message: &str, handler: H) -> Result<Self, BindError>
    where
        H: Handler<T, S>,
    {
        self.bind(None, message, handler)
    }

    /// Scopes the next handlers to messages sent by `role`.
    ///
    /// One message may have a handler per sender. The payload schema stays
    /// the message's own (the spec has one schema per message), so handlers of
    /// one message differ in behaviour, not in what they accept.
    ///
    /// ```
    /// # use openws_core::{Bindings, Ctx, HandlerError, Message, Network, Role};
    /// # use serde_json::Value;
    /// # let network = Network::builder("chat")
    /// #     .role(Role::host("server").message(Message::new("say").from(["client", "portal"])))
    /// #     .role(Role::new("client").message(Message::new("heard")))
    /// #     .role(Role::new("portal").message(Message::new("heard")))
    /// #     .build()?;
    /// async fn from_client(_: Ctx<()>, _: Value) -> Result<(), HandlerError> { Ok(()) }
    /// async fn from_portal(_: Ctx<()>, _: Value) -> Result<(), HandlerError> { Ok(()) }
    ///
    /// let bindings = Bindings::builder(network, ())
    ///     .from_role("client").on("say", from_client)?
    ///     .from_role("portal").on("say", from_portal)?
    ///     .open_roles(["client"])
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_role(self, role: &str) -> SenderScope<S> {
        SenderScope {
            builder: self,
            role: role.to_owned(),
        }
    }

    fn bind<T, H>(
        mut self,
        sender: Option<&str>,
        message: &str,
        handler: H,
    ) -> Result<Self, BindError>
    where
        H: Handler<T, S>,
    {
        self.check_message(message)?;
        let network = &self.network;
        let spec = &network.spec().roles[network.host_role()].messages[message];
        if let Some(role) = sender {
            let is_remote = network.remote_roles().any(|r| r == role);
            if !is_remote || !spec.allows(role) {
                return Err(BindError::ForbiddenSender {
                    message: message.to_owned(),
                    role: role.to_owned(),
                    allowed: allowed_senders(network, message),
                });
            }
        }
        let entry = self.handlers.entry(message.to_owned()).or_default();
        let taken = match sender {
            None => entry.any.is_some(),
            Some(role) => entry.by_sender.iter().any(|(r, _)| r == role),
        };
        if taken {
            return Err(BindError::DuplicateHandler {
                message: message.to_owned(),
                sender: sender.map(str::to_owned),
            });
        }
        let erased = handler::erase(Arc::clone(&self.state), handler);
        match sender {
            None => entry.any = Some(erased),
            Some(role) => entry.by_sender.push((role.to_owned(), erased)),
        }
        Ok(self)
    }

    fn check_message(&self, message: &str) -> Result<(), BindError> {
        let network = &self.network;
        let host = &network.spec().roles[network.host_role()];
        if host.messages.contains_key(message) {
            return Ok(());
        }
        Err(BindError::UnknownMessage {
            network: network.name().to_owned(),
            host: network.host_role().to_owned(),
            message: message.to_owned(),
            accepted: host.messages.keys().cloned().collect(),
        })
    }

    /// Lets the network take binary frames: `handler` answers them, its
    /// last argument [`Binary`](crate::extract::Binary) holding the bytes
    /// (its other arguments are extractors, as for any handler). Binary
    /// frames pass the network's and the sender role's guards and those of
    /// [`BindingsBuilder::guard_binary`]; they carry no `id` and skip the
    /// layers. Without a binary handler, binary frames get `bad_frame`.
    ///
    /// ```
    /// # use openws_core::{Bindings, Ctx, HandlerError, Message, Network, Role};
    /// use openws_core::extract::Binary;
    /// # let network = Network::builder("files")
    /// #     .role(Role::host("server"))
    /// #     .role(Role::new("client").message(Message::new("stored")))
    /// #     .build()?;
    /// let bindings = Bindings::builder(network, ())
    ///     .on_binary(|ctx: Ctx<()>, Binary(bytes): Binary| async move {
    ///         ctx.peer().send("stored", &serde_json::json!({ "bytes": bytes.len() })).await?;
    ///         Ok::<_, HandlerError>(())
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_binary<T, H>(mut self, handler: H) -> Self
    where
        H: Handler<T, S>,
    {
        self.router.binary = Some(handler::erase(Arc::clone(&self.state), handler));
        self
    }

    /// Checks every frame of every sender with `guard`, before the role's
    /// and the message's guards. See [`Guard`].
    ///
    /// ```
    /// # use openws_core::{Bindings, Ctx, Guard, HandlerError, Message, Network, Role};
    /// # use serde_json::Value;
    /// #[derive(Clone, PartialEq)]
    /// struct Authenticated(bool);
    ///
    /// # let network = Network::builder("app")
    /// #     .role(Role::host("server").message(Message::new("login")).message(Message::new("post")))
    /// #     .role(Role::new("client"))
    /// #     .build()?;
    /// let bindings = Bindings::builder(network, ())
    ///     .on("login", |ctx: Ctx<()>, _: Value| async move {
    ///         ctx.connection().insert(Authenticated(true)); // check credentials first
    ///         Ok::<_, HandlerError>(())
    ///     })?
    ///     .on("post", |_: Ctx<()>, _: Value| async { Ok::<_, HandlerError>(()) })?
    ///     .guard_message("post", Guard::require(Authenticated(true)).reason("log in first"))?
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn guard(mut self, guard: Guard) -> Self {
        self.router.network_guards.push(guard);
        self
    }

    /// Checks every frame sent by a connection holding `role` with `guard`
    /// (binary frames included). An unknown role fails [`BindingsBuilder::build`].
    pub fn guard_role(mut self, role: &str, guard: Guard) -> Self {
        self.router.role_guards.push((role.to_owned(), guard));
        self
    }

    /// Checks every frame of host message `message` with `guard`, after the
    /// network's and the role's guards.
    pub fn guard_message(mut self, message: &str, guard: Guard) -> Result<Self, BindError> {
        self.check_message(message)?;
        self.handlers
            .entry(message.to_owned())
            .or_default()
            .guards
            .push(guard);
        Ok(self)
    }

    /// Checks every binary frame with `guard`, after the network's and the
    /// role's guards (see [`BindingsBuilder::on_binary`]).
    pub fn guard_binary(mut self, guard: Guard) -> Self {
        self.router.binary_guards.push(guard);
        self
    }

    /// Wraps the dispatch of every message in a tower [`Layer`]; later calls
    /// wrap earlier ones. Each connection gets its own instance of the
    /// layered service (so `tower::limit::RateLimitLayer` limits each
    /// connection); see [`middleware`](crate::middleware) for what runs
    /// inside and how errors reach the peer.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use openws_core::{Bindings, Ctx, HandlerError, Message, Network, Role};
    /// # use serde_json::Value;
    /// # let network = Network::builder("app")
    /// #     .role(Role::host("server").message(Message::new("work")))
    /// #     .role(Role::new("client"))
    /// #     .build()?;
    /// let bindings = Bindings::builder(network, ())
    ///     .on("work", |_: Ctx<()>, _: Value| async { Ok::<_, HandlerError>(()) })?
    ///     // a handler that takes longer gets an error frame with code `timeout`
    ///     .layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(2)))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<MessageService> + Send + Sync + 'static,
        L::Service: Service<Request, Response = Response> + Send + 'static,
        <L::Service as Service<Request>>::Error: Into<BoxError>,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.router.layers.push(middleware::layer_fn(layer));
        self
    }

    /// Wraps the dispatch of host message `message` in a tower [`Layer`],
    /// inside the layers of [`BindingsBuilder::layer`].
    pub fn message_layer<L>(mut self, message: &str, layer: L) -> Result<Self, BindError>
    where
        L: Layer<MessageService> + Send + Sync + 'static,
        L::Service: Service<Request, Response = Response> + Send + 'static,
        <L::Service as Service<Request>>::Error: Into<BoxError>,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.check_message(message)?;
        self.handlers
            .entry(message.to_owned())
            .or_default()
            .layers
            .push(middleware::layer_fn(layer));
        Ok(self)
    }

    /// Every connection holds `role`.
    pub fn fixed_role(mut self, role: impl Into<String>) -> Self {
        self.fixed_role = Some(role.into());
        self
    }

    /// Compatibility mode: a connection's first frame chooses its role among
    /// `roles` (roles that need no authentication). Also applies when the
    /// connect hook answers [`Admission::first_frame`].
    pub fn open_roles<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.open_roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Decides each connection's role from its upgrade request, or refuses it.
    ///
    /// The hook runs before the upgrade; a [`Rejection`] becomes the HTTP
    /// answer (401, 403, ...).
    pub fn on_connect<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ConnectRequest, Arc<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Admission, Rejection>> + Send + 'static,
    {
        let state = Arc::clone(&self.state);
        self.connect_hook = Some(Arc::new(move |request| {
            Box::pin(hook(request, Arc::clone(&state)))
        }));
        self
    }

    /// Runs when a connection's role is established, before its first frame
    /// is handled: `ctx.peer()` can send a welcome frame, `ctx.connection()`
    /// holds its state. Several hooks run in the order they were added.
    ///
    /// ```
    /// # use openws_core::{Bindings, Ctx, Message, Network, Role};
    /// # let network = Network::builder("hello")
    /// #     .role(Role::host("server"))
    /// #     .role(Role::new("client").message(Message::new("welcome")))
    /// #     .build()?;
    /// let bindings = Bindings::builder(network, ())
    ///     .on_open(|ctx: Ctx<()>| async move {
    ///         let _ = ctx.peer().send("welcome", &serde_json::json!({})).await;
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_open<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Ctx<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.open_hooks.push(self.lifecycle_hook(hook));
        self
    }

    /// Runs once when a connection whose role was established closes, from
    /// either side and however it ended, before it leaves the hub and its
    /// rooms. Several hooks run in the order they were added.
    pub fn on_close<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Ctx<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.close_hooks.push(self.lifecycle_hook(hook));
        self
    }

    fn lifecycle_hook<F, Fut>(&self, hook: F) -> LifecycleHook
    where
        F: Fn(Ctx<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let state = Arc::clone(&self.state);
        Arc::new(move |parts| Box::pin(hook(Ctx::new(Arc::clone(&state), parts))))
    }

    /// Carries hub operations between processes (default: [`LocalBackplane`],
    /// one process). See [`Backplane`].
    pub fn backplane(mut self, backplane: impl Backplane) -> Self {
        self.backplane = Arc::new(backplane);
        self
    }

    /// How many rooms one connection may be in (default
    /// [`DEFAULT_MAX_ROOMS_PER_CONNECTION`]); joining one more fails with
    /// [`HubError::TooManyRooms`](crate::HubError::TooManyRooms).
    pub fn max_rooms_per_connection(mut self, rooms: usize) -> Self {
        self.max_rooms = rooms;
        self
    }

    /// Serves the management endpoints (`/openws/connections`) for this
    /// network, to requests carrying `Authorization: Bearer <token>`; see
    /// `docs/adapters.md`. Off unless called.
    pub fn management(mut self, token: impl Into<String>) -> Self {
        self.management_token = Some(token.into());
        self
    }

    /// Lets host messages go without a handler; peers sending them get `not_implemented`.
    pub fn allow_unhandled(mut self) -> Self {
        self.allow_unhandled = true;
        self
    }

    /// The largest inbound frame in bytes (default 64 KiB).
    pub fn max_frame_bytes(mut self, bytes: usize) -> Self {
        self.config.max_frame_bytes = bytes;
        self
    }

    /// How many outbound frames may wait per connection (default 16,384).
    ///
    /// Broadcasts never wait for room: a receiver whose queue is full is closed
    /// with 1008, so the queue must absorb the bursts a room produces. A queued
    /// broadcast frame costs one shared pointer, and an idle queue costs nothing.
    pub fn outbound_queue(mut self, frames: usize) -> Self {
        self.config.outbound_queue = frames;
        self
    }

    /// How long a send waits on a full queue before the peer is dropped as a
    /// slow consumer (default 5 s).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// How long the server tries to write a close frame to a connection it
    /// drops before it drops the socket without it (default 1 s).
    pub fn close_grace(mut self, grace: Duration) -> Self {
        self.config.close_grace = grace;
        self
    }

    /// Pings every connection each `interval` and drops one (1008) that lets
    /// `max_missed_pings` intervals (at least one) pass without any frame: it
    /// goes between `max_missed_pings` and `max_missed_pings + 1` intervals
    /// after its last frame (default: every 20 s, 2 missed; a dead peer goes
    /// 40 to 60 s after its last frame).
    pub fn keepalive(mut self, interval: Duration, max_missed_pings: u32) -> Self {
        self.config.ping_interval = Some(interval);
        self.config.max_missed_pings = max_missed_pings;
        self
    }

    /// Sends no keepalive pings: dead peers are found only by the operating
    /// system's TCP timeouts (or [`BindingsBuilder::idle_timeout`]).
    pub fn disable_keepalive(mut self) -> Self {
        self.config.ping_interval = None;
        self
    }

    /// Closes (1000) a connection that sent no message for `timeout`; pongs
    /// do not count (default: off).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = Some(timeout);
        self
    }

    /// Limits the inbound frame rate of each connection (default: off); see [`RateLimit`].
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.config.rate_limit = Some(limit);
        self
    }

    /// Whether refused frames are answered with error frames (default `true`).
    ///
    /// Compatibility mode for clients of the JS runtime, which sends nothing
    /// back for a refused frame and whose SDK fails on frames without a
    /// `messageName`: with `false`, refusals are only logged.
    pub fn error_frames(mut self, enabled: bool) -> Self {
        self.config.error_frames = enabled;
        self
    }

    /// The transport's read buffer per connection, in bytes (default 4 KiB;
    /// used by axum and warp). Larger frames still arrive: the buffer grows
    /// for them and shrinks back.
    pub fn read_buffer_bytes(mut self, bytes: usize) -> Self {
        self.config.read_buffer_bytes = bytes;
        self
    }

    /// How many bytes the transport gathers before writing to the socket
    /// (default 128 KiB, tungstenite's own; used by axum and warp, and by
    /// actix-web up to 16 KiB per body chunk). It is a threshold, not an
    /// allocation: idle connections do not pay for it, and a smaller one
    /// costs throughput under load.
    pub fn write_buffer_bytes(mut self, bytes: usize) -> Self {
        self.config.write_buffer_bytes = bytes;
        self
    }

    /// The most connections the route holds at once (default: no limit);
    /// upgrades past it get 503.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.gate.max_connections = Some(connections);
        self
    }

    /// The most connections from one remote IP address (default: no limit);
    /// upgrades past it get 503. The address is the socket's peer: behind a
    /// proxy, every client shares the proxy's.
    pub fn max_connections_per_ip(mut self, connections: usize) -> Self {
        self.gate.max_connections_per_ip = Some(connections);
        self
    }

    /// Admits browsers only from `origins` (exact `scheme://host[:port]`, or
    /// `"*"`); others get 403. Change the list while running with
    /// [`Bindings::origins`]. Default: every origin.
    pub fn allowed_origins<I, O>(self, origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        self.gate.origins.set(origins);
        self
    }

    /// The subprotocols the route speaks, preferred first. The first one the
    /// client offers is echoed in `Sec-WebSocket-Protocol` and handlers read
    /// it as the [`Subprotocol`](crate::runtime::Subprotocol) extension; a
    /// client offering none of them gets 400, unless
    /// [`BindingsBuilder::subprotocol_optional`].
    pub fn subprotocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.gate.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Admits clients that offer none of the route's subprotocols (they get none).
    pub fn subprotocol_optional(mut self) -> Self {
        self.gate.subprotocol_optional = true;
        self
    }

    /// Checks the bindings and compiles every payload schema.
    pub fn build(self) -> Result<Bindings, BindError> {
        let network = &self.network;
        let remote: Vec<String> = network.remote_roles().map(str::to_owned).collect();
        let role_check = |role: &String| {
            if remote.contains(role) {
                Ok(())
            } else {
                Err(BindError::UnknownRole {
                    network: network.name().to_owned(),
                    role: role.clone(),
                    remote: remote.clone(),
                })
            }
        };
        self.fixed_role.iter().try_for_each(role_check)?;
        self.open_roles.iter().try_for_each(role_check)?;
        self.router
            .role_guards
            .iter()
            .try_for_each(|(role, _)| role_check(role))?;
        let fixed_role = match (
            &self.fixed_role,
            &self.connect_hook,
            self.open_roles.is_empty(),
        ) {
            (None, None, true) if remote.len() == 1 => remote.first().cloned(),
            (None, None, true) => {
                return Err(BindError::NoRoleSelection {
                    network: network.name().to_owned(),
                    remote,
                });
            }
            _ => self.fixed_role.clone(),
        };
        if !self.allow_unhandled {
            let host = &network.spec().roles[network.host_role()];
            let missing: Vec<String> = host
                .messages
                .keys()
                .filter(|name| {
                    let handlers = self.handlers.get(*name);
                    handlers.is_none_or(|h| {
                        h.any.is_none()
                            && allowed_senders(network, name)
                                .iter()
                                .any(|role| !h.by_sender.iter().any(|(r, _)| r == role))
                    })
                })
                .cloned()
                .collect();
            if !missing.is_empty() {
                return Err(BindError::Unhandled {
                    network: network.name().to_owned(),
                    messages: missing,
                });
            }
        }
        let contract =
            Arc::new(
                Contract::compile(self.network).map_err(|e| BindError::Schema {
                    role: e.role,
                    message: e.message,
                    reason: e.reason,
                })?,
            );
        let router = Router::new(&contract, self.handlers, self.router);
        let open_roles = self
            .open_roles
            .iter()
            .filter_map(|role| contract.remote_role(role))
            .collect();
        let hub = Hub::new(Arc::clone(&contract), self.backplane, self.max_rooms);
        Ok(Bindings {
            runtime: Arc::new(Runtime {
                contract,
                router,
                hub,
                roles: RoleRule {
                    fixed_role,
                    open_roles,
                    connect_hook: self.connect_hook,
                },
                open_hooks: self.open_hooks,
                close_hooks: self.close_hooks,
                config: self.config,
                gate: Gate::new(self.gate),
                management_token: self.management_token,
            }),
        })
    }
}

/// The remote roles allowed to send a host message.
fn allowed_senders(network: &Network, message: &str) -> Vec<String> {
    let host = &network.spec().roles[network.host_role()];
    network
        .remote_roles()
        .filter(|role| host.messages.get(message).is_some_and(|m| m.allows(role)))
        .map(str::to_owned)
        .collect()
}

/// Handlers scoped to one sender role; see [`BindingsBuilder::from_role`].
#[must_use]
pub struct SenderScope<S> {
    builder: BindingsBuilder<S>,
    role: String,
}

impl<S: Send + Sync + 'static> SenderScope<S> {
    /// Binds `handler` to `message` when this scope's role sends it.
    pub fn on<T, H>(mut self, message: &str, handler: H) -> Result<Self, BindError>
    where
        H: Handler<T, S>,
    {
        self.builder = self.builder.bind(Some(&self.role), message, handler)?;
        Ok(self)
    }

    /// Switches to handlers for another sender role.
    pub fn from_role(self, role: &str) -> Self {
        self.builder.from_role(role)
    }

    /// Back to the bindings builder, for handlers of every sender and route options.
    pub fn done(self) -> BindingsBuilder<S> {
        self.builder
    }

    /// See [`BindingsBuilder::open_roles`].
    pub fn open_roles<I, R>(self, roles: I) -> BindingsBuilder<S>
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.builder.open_roles(roles)
    }

    /// See [`BindingsBuilder::fixed_role`].
    pub fn fixed_role(self, role: impl Into<String>) -> BindingsBuilder<S> {
        self.builder.fixed_role(role)
    }

    /// See [`BindingsBuilder::build`].
    pub fn build(self) -> Result<Bindings, BindError> {
        self.builder.build()
    }
}

impl<S> fmt::Debug for SenderScope<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderScope")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl<S> fmt::Debug for BindingsBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindingsBuilder")
            .field("network", &self.network.name())
            .field("handlers", &self.handlers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A network with its handlers bound and its schemas compiled: what an adapter mounts.
///
/// Cheap to clone. Create sessions with [`Bindings::session`], or hand it to
/// an adapter such as `openws-axum`.
#[derive(Clone)]
pub struct Bindings {
    runtime: Arc<Runtime>,
}

impl Bindings {
    /// Starts binding handlers to `network`, with `state` shared by every handler.
    pub fn builder<S: Send + Sync + 'static>(network: Network, state: S) -> BindingsBuilder<S> {
        BindingsBuilder {
            network,
            state: Arc::new(state),
            handlers: HashMap::new(),
            router: RouterParts::default(),
            fixed_role: None,
            open_roles: Vec::new(),
            connect_hook: None,
            open_hooks: Vec::new(),
            close_hooks: Vec::new(),
            allow_unhandled: false,
            config: SessionConfig::default(),
            gate: GateConfig::default(),
            backplane: Arc::new(LocalBackplane),
            max_rooms: DEFAULT_MAX_ROOMS_PER_CONNECTION,
            management_token: None,
        }
    }

    /// The bound network.
    pub fn network(&self) -> &Network {
        self.runtime.contract.network()
    }

    /// The limits every connection of this network gets.
    pub fn config(&self) -> &SessionConfig {
        &self.runtime.config
    }

    /// Decides which role a new connection holds: the connect hook's answer,
    /// else the fixed role, else the first frame (among the open roles).
    pub async fn admit(&self, request: ConnectRequest) -> Result<Admission, Rejection> {
        self.runtime.admit(request).await
    }

    /// The network's hub: its live connections and rooms, and broadcasts to
    /// them from anywhere (a background task, another network's handler).
    pub fn hub(&self) -> &Hub {
        &self.runtime.hub
    }

    /// The origins the route admits; change them while the server runs.
    pub fn origins(&self) -> &Origins {
        self.runtime.gate.origins()
    }

    /// Connections admitted and not yet ended, with or without a role.
    pub fn live_connections(&self) -> usize {
        self.runtime.gate.live()
    }

    /// Whether [`Bindings::shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        self.runtime.gate.is_shutting_down()
    }

    /// Shuts the network down gracefully: new upgrades get 503 from now on,
    /// every open connection is closed with 1001 after the frames already
    /// queued for it, and this waits up to `deadline` for them to end.
    /// Returns how many connections were still open at the deadline (each is
    /// dropped within the send timeout anyway).
    ///
    /// Call it before the web framework's own graceful shutdown, which does
    /// not wait for upgraded connections; see `docs/operations.md`.
    pub async fn shutdown(&self, deadline: Duration) -> usize {
        let gate = &self.runtime.gate;
        gate.begin_shutdown();
        let remaining = gate.drained(deadline).await;
        tracing::info!(
            network = self.network().name(),
            remaining,
            "network shut down"
        );
        remaining
    }

    /// The management token, when the management endpoints are on.
    pub(crate) fn management_token(&self) -> Option<&str> {
        self.runtime.management_token.as_deref()
    }

    /// A session for one connection, and the outbox its transport drains.
    ///
    /// The session opens at once when `admission` chose a role; otherwise the
    /// first frame opens it.
    pub fn session(&self, admission: Admission) -> (Session, Outbox) {
        Session::new(Arc::clone(&self.runtime), admission)
    }
}

impl fmt::Debug for Bindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bindings")
            .field("network", &self.network().name())
            .finish_non_exhaustive()
    }
}
