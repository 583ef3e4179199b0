//! The per-frame cost: one chat `sendMessage` frame through each path, with
//! no sockets. Shared by the criterion bench (`benches/frame.rs`), the
//! `frame-cost` command that callgrind counts, and the `frames` table.
//!
//! ```
//! use openws_bench::frame::{FramePath, FrameRunner};
//!
//! let mut runner = FrameRunner::new(FramePath::Openws);
//! let elapsed = runner.run(10);
//! assert!(elapsed.as_nanos() > 0);
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use openws::{Admission, Outbox, Session};
use serde::Deserialize;
use tokio::runtime::Runtime;

use crate::chat::SendMessage;
use crate::servers::limit::{Connection, Limit};
use crate::servers::openws::chat_bindings;

/// The frame every path handles: user `u1` posts to room `r1`.
pub const FRAME: &str = r#"{"fromRole":"client","messageName":"sendMessage","payload":{"userId":"u1","roomId":"r1","text":"hello, room: a chat message of an ordinary length"}}"#;

/// A way of handling [`FRAME`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FramePath {
    /// `serde_json::from_str` of the frame into a typed envelope, nothing else.
    Serde,
    /// The limit server's code: read envelope and payload, run the room logic;
    /// `u1` is alone in `r1`, so nothing is sent.
    Limit,
    /// openws-rs: `Session::handle_text` with the chat bindings (parse,
    /// role check, schema validation, dispatch to the chat handler); `u1` is
    /// alone in `r1`, so nothing is sent.
    Openws,
    /// [`FramePath::Limit`] with one more member in `r1`: the frame is also
    /// encoded once and queued to that member.
    LimitDeliver,
    /// [`FramePath::Openws`] with one more member in `r1`: the chat handler
    /// also sends to that member's peer handle (validated, encoded, queued).
    OpenwsDeliver,
}

impl FramePath {
    /// Every path, in table order.
    pub const ALL: [FramePath; 5] = [
        FramePath::Serde,
        FramePath::Limit,
        FramePath::Openws,
        FramePath::LimitDeliver,
        FramePath::OpenwsDeliver,
    ];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            FramePath::Serde => "serde",
            FramePath::Limit => "limit",
            FramePath::Openws => "openws",
            FramePath::LimitDeliver => "limit-deliver",
            FramePath::OpenwsDeliver => "openws-deliver",
        }
    }
}

/// The typed envelope bare serde reads.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Envelope {
    #[serde(rename = "fromRole")]
    from_role: String,
    #[serde(rename = "messageName")]
    message_name: String,
    payload: SendMessage,
}

type LimitOutbox = tokio::sync::mpsc::Receiver<axum::extract::ws::Utf8Bytes>;

/// One path, set up and ready to handle [`FRAME`] any number of times.
#[derive(Debug)]
pub struct FrameRunner {
    runtime: Runtime,
    state: State,
}

#[derive(Debug)]
enum State {
    Serde,
    Limit {
        limit: Limit,
        sender: Connection,
        _sender_outbox: LimitOutbox,
        member: Option<(Connection, LimitOutbox)>,
    },
    Openws {
        sender: Session,
        _sender_outbox: Outbox,
        member: Option<(Session, Outbox)>,
    },
}

const CREATE: &str =
    r#"{"fromRole":"client","messageName":"createRoom","payload":{"userId":"u1","roomId":"r1"}}"#;
const JOIN: &str =
    r#"{"fromRole":"client","messageName":"joinRoom","payload":{"userId":"u2","roomId":"r1"}}"#;

impl FrameRunner {
    /// Sets up `path`: the chat state, room `r1` and its members.
    pub fn new(path: FramePath) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
        let deliver = matches!(path, FramePath::LimitDeliver | FramePath::OpenwsDeliver);
        let state = match path {
            FramePath::Serde => State::Serde,
            FramePath::Limit | FramePath::LimitDeliver => runtime.block_on(async {
                let limit = Limit::default();
                let (sender, mut sender_outbox) = limit.connect(false);
                limit.handle_text(&sender, CREATE).await;
                let mut member = if deliver {
                    let (member, mut outbox) = limit.connect(false);
                    limit.handle_text(&member, JOIN).await;
                    while outbox.try_recv().is_ok() {}
                    Some((member, outbox))
                } else {
                    None
                };
                while sender_outbox.try_recv().is_ok() {}
                // The limit answers a refused frame on the sender's queue: make sure it accepts.
                limit.handle_text(&sender, FRAME).await;
                assert!(
                    sender_outbox.try_recv().is_err(),
                    "the limit accepts the frame"
                );
                if let Some((_, outbox)) = &mut member {
                    while outbox.try_recv().is_ok() {}
                }
                State::Limit {
                    limit,
                    sender,
                    _sender_outbox: sender_outbox,
                    member,
                }
            }),
            FramePath::Openws | FramePath::OpenwsDeliver => runtime.block_on(async {
                let bindings = chat_bindings();
                let (mut sender, mut sender_outbox) = bindings.session(Admission::role("client"));
                sender
                    .handle_text(CREATE)
                    .await
                    .expect("room r1 is created");
                let member = if deliver {
                    let (mut member, mut outbox) = bindings.session(Admission::role("client"));
                    member.handle_text(JOIN).await.expect("u2 joins r1");
                    while outbox.try_recv().is_some() {}
                    Some((member, outbox))
                } else {
                    None
                };
                while sender_outbox.try_recv().is_some() {}
                State::Openws {
                    sender,
                    _sender_outbox: sender_outbox,
                    member,
                }
            }),
        };
        Self { runtime, state }
    }

    /// Handles [`FRAME`] `iterations` times, draining what it sends; returns
    /// the time taken.
    pub fn run(&mut self, iterations: u64) -> Duration {
        let Self { runtime, state } = self;
        match state {
            State::Serde => {
                let start = Instant::now();
                for _ in 0..iterations {
                    let envelope: Envelope =
                        serde_json::from_str(black_box(FRAME)).expect("the frame parses");
                    black_box(envelope);
                }
                start.elapsed()
            }
            State::Limit {
                limit,
                sender,
                member,
                ..
            } => runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    limit.handle_text(sender, black_box(FRAME)).await;
                    if let Some((_, outbox)) = member {
                        while let Ok(frame) = outbox.try_recv() {
                            black_box(frame);
                        }
                    }
                }
                start.elapsed()
            }),
            State::Openws { sender, member, .. } => runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    sender
                        .handle_text(black_box(FRAME))
                        .await
                        .expect("the frame is accepted");
                    if let Some((_, outbox)) = member {
                        while let Some(frame) = outbox.try_recv() {
                            black_box(frame);
                        }
                    }
                }
                start.elapsed()
            }),
        }
    }
}
