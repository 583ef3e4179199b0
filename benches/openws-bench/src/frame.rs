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
    /// also broadcasts to the room through the hub (validated, encoded, queued).
    OpenwsDeliver,
    /// [`FramePath::LimitDeliver`] with a second member: the cost of one more
    /// receiver is the difference between the two.
    LimitDeliver2,
    /// [`FramePath::OpenwsDeliver`] with a second member. openws-rs encodes a
    /// broadcast only when someone receives it, so the first receiver also pays
    /// the encoding; the second shows what one more receiver costs.
    OpenwsDeliver2,
}

impl FramePath {
    /// Every path, in table order.
    pub const ALL: [FramePath; 7] = [
        FramePath::Serde,
        FramePath::Limit,
        FramePath::Openws,
        FramePath::LimitDeliver,
        FramePath::OpenwsDeliver,
        FramePath::LimitDeliver2,
        FramePath::OpenwsDeliver2,
    ];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            FramePath::Serde => "serde",
            FramePath::Limit => "limit",
            FramePath::Openws => "openws",
            FramePath::LimitDeliver => "limit-deliver",
            FramePath::OpenwsDeliver => "openws-deliver",
            FramePath::LimitDeliver2 => "limit-deliver2",
            FramePath::OpenwsDeliver2 => "openws-deliver2",
        }
    }

    /// How many members besides the sender are in `r1`.
    fn members(self) -> usize {
        match self {
            FramePath::LimitDeliver | FramePath::OpenwsDeliver => 1,
            FramePath::LimitDeliver2 | FramePath::OpenwsDeliver2 => 2,
            _ => 0,
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
        members: Vec<(Connection, LimitOutbox)>,
    },
    Openws {
        sender: Session,
        _sender_outbox: Outbox,
        members: Vec<(Session, Outbox)>,
    },
}

const CREATE: &str =
    r#"{"fromRole":"client","messageName":"createRoom","payload":{"userId":"u1","roomId":"r1"}}"#;
/// `joinRoom` of member `n` (`u2`, `u3`, ..) into `r1`.
fn join(n: usize) -> String {
    format!(
        r#"{{"fromRole":"client","messageName":"joinRoom","payload":{{"userId":"u{}","roomId":"r1"}}}}"#,
        n + 2
    )
}

impl FrameRunner {
    /// Sets up `path`: the chat state, room `r1` and its members.
    pub fn new(path: FramePath) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
        let receivers = path.members();
        let state = match path {
            FramePath::Serde => State::Serde,
            FramePath::Limit | FramePath::LimitDeliver | FramePath::LimitDeliver2 => runtime
                .block_on(async {
                    let limit = Limit::default();
                    let (sender, mut sender_outbox) = limit.connect(false);
                    limit.handle_text(&sender, CREATE).await;
                    let mut members = Vec::new();
                    for n in 0..receivers {
                        let (member, outbox) = limit.connect(false);
                        limit.handle_text(&member, &join(n)).await;
                        members.push((member, outbox));
                    }
                    for (_, outbox) in &mut members {
                        while outbox.try_recv().is_ok() {}
                    }
                    while sender_outbox.try_recv().is_ok() {}
                    // The limit answers a refused frame on the sender's queue: make sure it accepts.
                    limit.handle_text(&sender, FRAME).await;
                    assert!(
                        sender_outbox.try_recv().is_err(),
                        "the limit accepts the frame"
                    );
                    for (_, outbox) in &mut members {
                        while outbox.try_recv().is_ok() {}
                    }
                    State::Limit {
                        limit,
                        sender,
                        _sender_outbox: sender_outbox,
                        members,
                    }
                }),
            FramePath::Openws | FramePath::OpenwsDeliver | FramePath::OpenwsDeliver2 => runtime
                .block_on(async {
                    let bindings = chat_bindings();
                    let (mut sender, mut sender_outbox) =
                        bindings.session(Admission::role("client"));
                    sender
                        .handle_text(CREATE)
                        .await
                        .expect("room r1 is created");
                    let mut members = Vec::new();
                    for n in 0..receivers {
                        let (mut member, outbox) = bindings.session(Admission::role("client"));
                        member
                            .handle_text(&join(n))
                            .await
                            .expect("the member joins r1");
                        members.push((member, outbox));
                    }
                    for (_, outbox) in &mut members {
                        while outbox.try_recv().is_some() {}
                    }
                    while sender_outbox.try_recv().is_some() {}
                    State::Openws {
                        sender,
                        _sender_outbox: sender_outbox,
                        members,
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
                members,
                ..
            } => runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    limit.handle_text(sender, black_box(FRAME)).await;
                    for (_, outbox) in members.iter_mut() {
                        while let Ok(frame) = outbox.try_recv() {
                            black_box(frame);
                        }
                    }
                }
                start.elapsed()
            }),
            State::Openws {
                sender, members, ..
            } => runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iterations {
                    sender
                        .handle_text(black_box(FRAME))
                        .await
                        .expect("the frame is accepted");
                    for (_, outbox) in members.iter_mut() {
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
