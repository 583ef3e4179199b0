//! The networks the suite serves: the seed's chat, and a probe network for edge cases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openws::{
    Admission, Bindings, BindingsBuilder, CloseFrame, ConnectRequest, ConnectionId, Ctx, Guard,
    HandlerError, Message, Network, Rejection, Role, Subprotocol,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Mount;

#[allow(dead_code, unreachable_pub)]
#[path = "../../../examples/chat/mod.rs"]
pub(crate) mod chat;

/// The portal token the suite's chat servers accept.
pub const PORTAL_TOKEN: &str = "suite-portal-token";

/// The query key that admits an `admin` on the hook-guarded probe route.
pub const ADMIN_KEY: &str = "letmein";

/// The largest frame the probe network accepts.
pub const PROBE_MAX_FRAME: usize = 1024;

pub(crate) use chat::Style as ChatStyle;

/// The seed's chat network at `/chat`, as the examples serve it.
pub fn chat() -> Mount {
    Mount {
        path: "/chat",
        bindings: chat::bindings(PORTAL_TOKEN).expect("chat bindings"),
    }
}

/// The chat network at `/chat`, written in `style`.
pub(crate) fn chat_in(style: ChatStyle) -> Mount {
    Mount {
        path: "/chat",
        bindings: chat::bindings_in(style, PORTAL_TOKEN).expect("chat bindings"),
    }
}

/// Every authoring style of the chat network.
pub(crate) fn chat_styles() -> impl Iterator<Item = ChatStyle> {
    ChatStyle::ALL.into_iter()
}

/// The chat network as a spec document (what `/openws/spec.json` must list).
pub fn chat_network() -> Network {
    chat::network(ChatStyle::Trait)
}

/// What the probe network's close hook saw.
#[derive(Debug, Default)]
pub struct ProbeState {
    closes: Mutex<HashMap<ConnectionId, u32>>,
    opened: Mutex<Vec<ConnectionId>>,
}

impl ProbeState {
    /// Connections that sent at least one `echo`, in order.
    pub fn opened(&self) -> Vec<ConnectionId> {
        self.opened.lock().unwrap().clone()
    }

    /// How often the close hook ran for `connection`.
    pub fn closes(&self, connection: ConnectionId) -> u32 {
        self.closes
            .lock()
            .unwrap()
            .get(&connection)
            .copied()
            .unwrap_or(0)
    }

    /// Waits (bounded) until the close hook ran for `connection`; returns the count
    /// after a grace period in which a second run would show.
    pub async fn wait_closed(&self, connection: ConnectionId) -> u32 {
        let deadline = tokio::time::Instant::now() + crate::client::TIMEOUT;
        while self.closes(connection) == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(crate::client::QUIET).await;
        self.closes(connection)
    }
}

/// How the probe route decides roles.
#[derive(Debug, Clone, Copy)]
pub enum RoleRule {
    /// Every connection is `user`.
    Fixed,
    /// `?role=admin&key=letmein` is admin; `?role=admin` alone gets 401,
    /// `?role=banned` 403; anyone else is `user`.
    Hook,
    /// The first frame chooses, and only `user` is open.
    FirstFrame,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Text {
    text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Empty {}

fn probe_network() -> Network {
    let text = || json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]});
    Network::builder("probe")
        .description("Edge cases of the runtime")
        .role(
            Role::host("server")
                .message(
                    Message::new("echo")
                        .payload::<Text>()
                        .from(["user", "admin"]),
                )
                .message(Message::new("adminOnly").payload::<Empty>().from(["admin"]))
                .message(Message::new("boom").payload::<Empty>())
                .message(Message::new("fail").payload::<Empty>())
                .message(Message::new("badReply").payload::<Empty>())
                .message(Message::new("kick").payload::<Empty>())
                .message(Message::new("unbound").payload::<Empty>()),
        )
        .role(Role::new("user").message(Message::new("echoed").payload_schema(text())))
        .role(Role::new("admin").message(Message::new("echoed").payload_schema(text())))
        .build()
        .expect("probe network is valid")
}

async fn echo(ctx: Ctx<Arc<ProbeState>>, payload: Text) -> Result<(), HandlerError> {
    {
        let mut opened = ctx.state().opened.lock().unwrap();
        if !opened.contains(&ctx.connection_id()) {
            opened.push(ctx.connection_id());
        }
    }
    ctx.reply("echoed", &payload).await?;
    Ok(())
}

async fn admin_only(ctx: Ctx<Arc<ProbeState>>, _: Empty) -> Result<(), HandlerError> {
    ctx.reply("echoed", &json!({"text": "admin"})).await?;
    Ok(())
}

async fn boom(_: Ctx<Arc<ProbeState>>, _: Empty) -> Result<(), HandlerError> {
    panic!("the probe's boom handler panics on purpose")
}

async fn fail(_: Ctx<Arc<ProbeState>>, _: Empty) -> Result<(), HandlerError> {
    Err(HandlerError::new("failed on purpose"))
}

/// Tries to send what the receiving role does not accept; reports what the peer handle said.
async fn bad_reply(ctx: Ctx<Arc<ProbeState>>, _: Empty) -> Result<(), HandlerError> {
    let wrong_type = ctx.peer().send("echoed", &json!({"text": 5})).await;
    let unknown = ctx.peer().send("nope", &json!({})).await;
    let report = json!({
        "wrongType": wrong_type.map_err(|e| e.to_string()).err(),
        "unknown": unknown.map_err(|e| e.to_string()).err(),
    });
    Err(HandlerError::new(report.to_string()))
}

/// Says goodbye, then closes with a reason: the goodbye must arrive first.
async fn kick(ctx: Ctx<Arc<ProbeState>>, _: Empty) -> Result<(), HandlerError> {
    ctx.reply("echoed", &json!({"text": "bye"})).await?;
    ctx.peer()
        .close(CloseFrame::new(CloseFrame::NORMAL, "kicked"));
    Ok(())
}

async fn admit(request: ConnectRequest) -> Result<Admission, Rejection> {
    match (
        request.query("role").as_deref(),
        request.query("key").as_deref(),
    ) {
        (Some("admin"), Some(ADMIN_KEY)) => Ok(Admission::role("admin")),
        (Some("admin"), _) => Err(Rejection::unauthorized("admin needs a key")),
        (Some("banned"), _) => Err(Rejection::forbidden("banned")),
        _ => Ok(Admission::role("user")),
    }
}

/// The probe network at `path`, its roles decided by `rule`, reporting into `state`.
pub fn probe(path: &'static str, rule: RoleRule, state: Arc<ProbeState>) -> Mount {
    let builder = Bindings::builder(probe_network(), state)
        .on("echo", echo)
        .and_then(|b| b.on("adminOnly", admin_only))
        .and_then(|b| b.on("boom", boom))
        .and_then(|b| b.on("fail", fail))
        .and_then(|b| b.on("badReply", bad_reply))
        .and_then(|b| b.on("kick", kick))
        .expect("probe handlers bind")
        .allow_unhandled()
        .max_frame_bytes(PROBE_MAX_FRAME)
        .on_close(|ctx: Ctx<Arc<ProbeState>>| async move {
            *ctx.state()
                .closes
                .lock()
                .unwrap()
                .entry(ctx.connection_id())
                .or_default() += 1;
        });
    let builder = match rule {
        RoleRule::Fixed => builder.fixed_role("user"),
        RoleRule::Hook => builder.on_connect(|request, _| admit(request)),
        RoleRule::FirstFrame => builder.open_roles(["user"]),
    };
    Mount {
        path,
        bindings: builder.build().expect("probe bindings"),
    }
}

/// How many frames may wait for one relay connection.
pub const RELAY_QUEUE: usize = 64;

/// A relay network at `path`: every connection is a `user`, and a `shout`
/// reaches every other connection as `heard` through the hub. Queues are
/// short and timeouts brief, so a client that stops reading is dropped fast.
pub fn relay(path: &'static str) -> Mount {
    relay_with(path, |builder| builder)
}

/// The relay network at `path`, with more route options set by `options`.
///
/// Besides `shout`, it answers `echo` with `heard` (same payload) and
/// `protocol` with `heard` naming the negotiated subprotocol (empty if none).
pub fn relay_with(
    path: &'static str,
    options: impl FnOnce(BindingsBuilder<()>) -> BindingsBuilder<()>,
) -> Mount {
    let network = Network::builder("relay")
        .role(
            Role::host("server")
                .message(Message::new("shout").payload::<Text>())
                .message(Message::new("echo").payload::<Text>())
                .message(Message::new("protocol").payload::<Empty>()),
        )
        .role(Role::new("user").message(Message::new("heard").payload::<Text>()))
        .build()
        .expect("relay network is valid");
    let builder = Bindings::builder(network, ())
        .on("shout", |ctx: Ctx<()>, shout: Text| async move {
            ctx.hub()
                .all()
                .except(ctx.connection_id())
                .send("heard", &shout)
                .await?;
            Ok::<_, HandlerError>(())
        })
        .and_then(|b| {
            b.on("echo", |ctx: Ctx<()>, echo: Text| async move {
                ctx.reply("heard", &echo).await?;
                Ok::<_, HandlerError>(())
            })
        })
        .and_then(|b| {
            b.on("protocol", |ctx: Ctx<()>, _: Empty| async move {
                let text = ctx
                    .extension::<Subprotocol>()
                    .map(|p| p.0.clone())
                    .unwrap_or_default();
                ctx.reply("heard", &Text { text }).await?;
                Ok::<_, HandlerError>(())
            })
        })
        .expect("relay handlers bind")
        .fixed_role("user")
        .outbound_queue(RELAY_QUEUE)
        .send_timeout(Duration::from_secs(1))
        .close_grace(Duration::from_millis(500));
    Mount {
        path,
        bindings: options(builder).build().expect("relay bindings"),
    }
}

/// The chat network at `/chat` with its management endpoints on, opened by [`ADMIN_TOKEN`].
pub fn chat_managed() -> Mount {
    Mount {
        path: "/chat",
        bindings: chat::builder(ChatStyle::Trait, PORTAL_TOKEN)
            .and_then(|builder| builder.management(ADMIN_TOKEN).build())
            .expect("chat bindings"),
    }
}

/// The management token of [`chat_managed`].
pub const ADMIN_TOKEN: &str = "suite-admin-token";

/// `{fromRole, messageName, payload}` as a JSON value.
pub fn frame(from_role: &str, name: &str, payload: Value) -> Value {
    json!({"fromRole": from_role, "messageName": name, "payload": payload})
}

/// What the pipeline network's handlers report.
#[derive(Debug, Default)]
pub struct PipelineState {
    /// Chunks the current stream has sent.
    pub sent: std::sync::atomic::AtomicU64,
    /// `mark` frames handled.
    pub marks: std::sync::atomic::AtomicU64,
    /// Whether the last stream's producer was dropped (it ended, was cancelled, or its peer left).
    pub producer_dropped: std::sync::atomic::AtomicBool,
}

/// How many frames may wait for one pipeline connection.
pub const PIPELINE_QUEUE: usize = 64;

/// How long the pipeline network's `slow` handler may take.
pub const PIPELINE_TIMEOUT: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, PartialEq)]
struct LoggedIn(String);

#[derive(Debug, Deserialize, JsonSchema)]
struct Count {
    n: u64,
    /// Bytes of padding per chunk.
    size: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Number {
    n: u64,
    pad: String,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Stored {
    bytes: usize,
}

fn pipeline_network() -> Network {
    Network::builder("pipeline")
        .role(
            Role::host("server")
                .message(Message::new("login").payload::<Text>())
                .message(Message::new("post").payload::<Text>())
                .message(Message::new("slow").payload::<Empty>())
                .message(Message::new("count").payload::<Count>())
                .message(Message::new("mark").payload::<Empty>()),
        )
        .role(
            Role::new("client")
                .message(Message::new("posted").payload::<Text>())
                .message(Message::new("number").payload::<Number>())
                .message(Message::new("stored").payload::<Stored>()),
        )
        .build()
        .expect("pipeline network is valid")
}

/// Streams `count.n` numbers on a task of its own, recording progress.
async fn count(ctx: Ctx<Arc<PipelineState>>, count: Count) -> Result<(), HandlerError> {
    use std::sync::atomic::Ordering;
    let state = Arc::clone(ctx.state());
    state.sent.store(0, Ordering::SeqCst);
    state.producer_dropped.store(false, Ordering::SeqCst);
    ctx.stream("number")?.spawn(move |mut numbers| async move {
        let _dropped = OnDrop(Arc::clone(&state));
        let pad = "x".repeat(count.size);
        for n in 0..count.n {
            numbers
                .send(&Number {
                    n,
                    pad: pad.clone(),
                })
                .await?;
            state.sent.store(n + 1, Ordering::SeqCst);
        }
        Ok(())
    });
    Ok(())
}

/// Records that a stream's producer is gone.
struct OnDrop(Arc<PipelineState>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0
            .producer_dropped
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The pipeline network at `path`: `post` needs a `login` first (a guard),
/// `slow` outlasts its timeout layer, `count` streams, binary frames are
/// stored once logged in; every connection is a `client` with a short queue.
pub fn pipeline(path: &'static str, state: Arc<PipelineState>) -> Mount {
    use openws::extract::{Binary, ConnState};
    let bindings = Bindings::builder(pipeline_network(), state)
        .on(
            "login",
            |ctx: Ctx<Arc<PipelineState>>, login: Text| async move {
                ctx.connection().insert(LoggedIn(login.text));
            },
        )
        .and_then(|b| {
            b.on(
                "post",
                |ConnState(LoggedIn(user)): ConnState<LoggedIn>, post: Text| async move {
                    openws::Reply::new(
                        "posted",
                        Text {
                            text: format!("{user}: {}", post.text),
                        },
                    )
                },
            )
        })
        .and_then(|b| {
            b.on("slow", |_: Empty| async {
                tokio::time::sleep(PIPELINE_TIMEOUT * 10).await;
            })
        })
        .and_then(|b| b.on("count", count))
        .and_then(|b| {
            b.on(
                "mark",
                |ctx: Ctx<Arc<PipelineState>>, _: Empty| async move {
                    ctx.state()
                        .marks
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                },
            )
        })
        .and_then(|b| b.guard_message("post", Guard::has::<LoggedIn>().reason("log in first")))
        .and_then(|b| b.message_layer("slow", tower::timeout::TimeoutLayer::new(PIPELINE_TIMEOUT)))
        .expect("pipeline handlers bind")
        .on_binary(|peer: openws::Peer, Binary(bytes): Binary| async move {
            peer.send("stored", &Stored { bytes: bytes.len() }).await?;
            Ok::<_, HandlerError>(())
        })
        .guard_binary(Guard::has::<LoggedIn>().reason("log in before uploading"))
        .fixed_role("client")
        .outbound_queue(PIPELINE_QUEUE)
        .build()
        .expect("pipeline bindings");
    Mount { path, bindings }
}
