//! The handler pipeline without sockets: extractors, guards, layers, replies,
//! errors, streams and binary frames.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openws_core::extract::{Binary, ConnState, FromCall, RequestId, State};
use openws_core::middleware::{after, before};
use openws_core::{
    Admission, Bindings, BindingsBuilder, Ctx, Guard, HandlerError, Message, Network, Outbox,
    Outgoing, Peer, Reply, Role, Session,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Default)]
struct App {
    outcomes: Mutex<Vec<(String, bool)>>,
    producer_dropped: AtomicBool,
    calls: AtomicU32,
}

#[derive(Clone, PartialEq, Debug)]
struct User(String);

#[derive(Clone, PartialEq)]
struct Authenticated(bool);

#[derive(Deserialize)]
struct Post {
    text: String,
}

#[derive(Serialize)]
struct Posted {
    text: String,
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn network() -> Network {
    let text = || object(json!({"text": {"type": "string"}}), &["text"]);
    let n = || object(json!({"n": {"type": "integer", "maximum": 1000}}), &["n"]);
    let host = Role::host("server")
        .message(Message::new("login").payload_schema(text()))
        .message(Message::new("post").payload_schema(text()))
        .message(Message::new("whoami").payload_schema(json!({})))
        .message(Message::new("slow").payload_schema(json!({})))
        .message(Message::new("fail").payload_schema(text()))
        .message(Message::new("badReply").payload_schema(json!({})))
        .message(
            Message::new("count").payload_schema(object(json!({"n": {"type": "integer"}}), &["n"])),
        )
        .message(Message::new("admin").payload_schema(json!({})));
    let receiver = |name: &str| {
        Role::new(name)
            .message(Message::new("posted").payload_schema(text()))
            .message(Message::new("number").payload_schema(n()))
            .message(Message::new("stored").payload_schema(json!({})))
    };
    Network::builder("app")
        .role(host)
        .role(receiver("client"))
        .role(receiver("visitor"))
        .build()
        .unwrap()
}

/// The logged-in user, or a refusal: an application's own extractor.
struct Me(String);

impl<S: Send + Sync> FromCall<S> for Me {
    type Rejection = HandlerError;

    async fn from_call(ctx: &Ctx<S>) -> Result<Self, HandlerError> {
        ctx.connection()
            .get::<User>()
            .map(|User(name)| Me(name))
            .ok_or_else(|| HandlerError::public("who are you?").code("anonymous"))
    }
}

async fn login(ctx: Ctx<Arc<App>>, login: Post) -> Result<(), HandlerError> {
    ctx.connection().insert(User(login.text));
    ctx.connection().insert(Authenticated(true));
    Ok(())
}

/// Extractors in an arbitrary order, the payload last; answers with a typed reply.
async fn post(
    id: Option<RequestId>,
    State(app): State<Arc<App>>,
    ConnState(User(user)): ConnState<User>,
    peer: Peer,
    post: Post,
) -> Result<Reply<Posted>, HandlerError> {
    app.calls.fetch_add(1, Ordering::SeqCst);
    assert_eq!(peer.role(), "client");
    let text = format!(
        "{user} ({}): {}",
        id.map_or("-".into(), |id| id.get().to_owned()),
        post.text
    );
    Ok(Reply::new("posted", Posted { text }))
}

async fn whoami(Me(name): Me, _: Value) -> Reply<Value> {
    Reply::new("posted", json!({ "text": name }))
}

async fn slow(_: Value) -> Result<(), HandlerError> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

async fn fail(failure: Post) -> Result<(), HandlerError> {
    match failure.text.as_str() {
        "io" => Err(std::io::Error::other("disk full at /srv/db"))?,
        "anyhow" => Err(anyhow::anyhow!("secret connection string"))?,
        "string" => Err(String::from("token=abc"))?,
        _ => Err(HandlerError::public("room `r1` is full")
            .code("room_full")
            .details(json!({"capacity": 2}))),
    }
}

async fn bad_reply(_: Value) -> Reply<Value> {
    Reply::new("posted", json!({ "text": 5 }))
}

async fn count(ctx: Ctx<Arc<App>>, request: Value) -> Result<(), HandlerError> {
    let to = request["n"].as_u64().unwrap_or(0);
    let app = Arc::clone(ctx.state());
    ctx.stream("number")?.spawn(move |mut numbers| async move {
        struct Flag(Arc<App>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.producer_dropped.store(true, Ordering::SeqCst);
            }
        }
        let _flag = Flag(app);
        for n in 0..to {
            numbers.send(&json!({ "n": n })).await?;
        }
        Ok(())
    });
    Ok(())
}

fn builder() -> (BindingsBuilder<Arc<App>>, Arc<App>) {
    let app = Arc::new(App::default());
    let builder = Bindings::builder(network(), Arc::clone(&app))
        .on("login", login)
        .and_then(|b| b.on("post", post))
        .and_then(|b| b.on("whoami", whoami))
        .and_then(|b| b.on("slow", slow))
        .and_then(|b| b.on("fail", fail))
        .and_then(|b| b.on("badReply", bad_reply))
        .and_then(|b| b.on("count", count))
        .and_then(|b| b.on("admin", |_: Value| async {}))
        .unwrap()
        .open_roles(["client", "visitor"]);
    (builder, app)
}

fn open(bindings: &Bindings) -> (Session, Outbox) {
    bindings.session(Admission::role("client"))
}

async fn send(session: &mut Session, name: &str, payload: Value) {
    let frame = json!({"fromRole": "client", "messageName": name, "payload": payload, "id": "q"});
    let _ = session.handle_text(&frame.to_string()).await;
}

fn next(outbox: &mut Outbox) -> Value {
    match outbox.try_recv() {
        Some(Outgoing::Text(text)) => serde_json::from_slice(&text).unwrap(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

fn error_code(outbox: &mut Outbox) -> String {
    let frame = next(outbox);
    frame["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {frame}"))
        .to_owned()
}

#[tokio::test]
async fn extractors_come_in_any_order_and_refuse_what_is_missing() {
    let (builder, app) = builder();
    let bindings = builder.build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "post", json!({"text": "hi"})).await;
    assert_eq!(error_code(&mut outbox), "guard_rejected", "no `User` yet");
    send(&mut session, "whoami", json!({})).await;
    assert_eq!(error_code(&mut outbox), "anonymous");
    send(&mut session, "login", json!({"text": "ann"})).await;
    send(&mut session, "post", json!({"text": "hi"})).await;
    let frame = next(&mut outbox);
    assert_eq!(frame["payload"]["text"], r#"ann ("q"): hi"#);
    assert_eq!(frame["replyTo"], "q");
    send(&mut session, "whoami", json!({})).await;
    assert_eq!(next(&mut outbox)["payload"]["text"], "ann");
    assert_eq!(app.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn errors_through_question_mark_stay_private() {
    let bindings = builder().0.build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    for kind in ["io", "anyhow", "string"] {
        send(&mut session, "fail", json!({"text": kind})).await;
        let frame = next(&mut outbox);
        assert_eq!(frame["error"]["code"], "handler_error");
        assert_eq!(frame["error"]["message"], "the handler failed", "{kind}");
    }
    send(&mut session, "fail", json!({"text": "public"})).await;
    let error = next(&mut outbox)["error"].clone();
    assert_eq!(error["code"], "room_full");
    assert_eq!(error["message"], "room `r1` is full");
    assert_eq!(error["details"], json!({"capacity": 2}));
    send(&mut session, "badReply", json!({})).await;
    assert_eq!(
        error_code(&mut outbox),
        "internal_error",
        "an off-schema reply is not sent"
    );
}

#[tokio::test]
async fn guards_of_every_scope_run_before_the_handler() {
    let (builder, app) = builder();
    let bindings = builder
        .guard(Guard::new_async(|connection| async move {
            !connection.in_room("banned")
        }))
        .guard_role(
            "visitor",
            Guard::new(|_| false).reason("visitors only watch"),
        )
        .guard_message(
            "post",
            Guard::require(Authenticated(true)).reason("log in first"),
        )
        .unwrap()
        .build()
        .unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "post", json!({"text": "hi"})).await;
    let frame = next(&mut outbox);
    assert_eq!(frame["error"]["code"], "guard_rejected");
    assert_eq!(frame["error"]["message"], "log in first");
    assert_eq!(frame["error"]["messageName"], "post");
    assert_eq!(
        app.calls.load(Ordering::SeqCst),
        0,
        "the handler did not run"
    );
    send(&mut session, "login", json!({"text": "ann"})).await;
    send(&mut session, "post", json!({"text": "hi"})).await;
    assert_eq!(next(&mut outbox)["messageName"], "posted");
    session.peer().unwrap().join("banned").unwrap();
    send(&mut session, "post", json!({"text": "hi"})).await;
    assert_eq!(error_code(&mut outbox), "guard_rejected");

    let (mut visitor, mut visitor_outbox) = bindings.session(Admission::role("visitor"));
    let frame = json!({"fromRole": "visitor", "messageName": "admin", "payload": {}});
    visitor.handle_text(&frame.to_string()).await.unwrap_err();
    assert_eq!(
        next(&mut visitor_outbox)["error"]["message"],
        "visitors only watch"
    );
}

#[tokio::test]
async fn a_timeout_layer_answers_with_timeout_and_the_connection_goes_on() {
    let bindings = builder()
        .0
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(50)))
        .build()
        .unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "slow", json!({})).await;
    let frame = next(&mut outbox);
    assert_eq!(frame["error"]["code"], "timeout");
    assert_eq!(frame["replyTo"], "q");
    send(&mut session, "login", json!({"text": "ann"})).await;
    send(&mut session, "post", json!({"text": "still here"})).await;
    assert_eq!(next(&mut outbox)["messageName"], "posted");
}

#[tokio::test]
async fn a_rate_limit_layer_limits_each_connection() {
    let limit = tower::ServiceBuilder::new()
        .load_shed()
        .rate_limit(2, Duration::from_secs(60));
    let bindings = builder().0.layer(limit).build().unwrap();
    let (mut first, mut first_outbox) = open(&bindings);
    let (mut second, mut second_outbox) = open(&bindings);
    for _ in 0..2 {
        send(&mut first, "whoami", json!({})).await;
        assert_eq!(error_code(&mut first_outbox), "anonymous", "let through");
    }
    send(&mut first, "whoami", json!({})).await;
    assert_eq!(error_code(&mut first_outbox), "overloaded");
    send(&mut second, "whoami", json!({})).await;
    assert_eq!(
        error_code(&mut second_outbox),
        "anonymous",
        "another connection has its own budget"
    );
}

#[tokio::test]
async fn hooks_see_change_or_refuse_messages_and_see_outcomes() {
    let (builder, app) = builder();
    let seen = Arc::clone(&app);
    let bindings = builder
        .layer(after(move |head, outcome| {
            seen.outcomes
                .lock()
                .unwrap()
                .push((head.message().to_owned(), outcome.is_ok()));
        }))
        .message_layer(
            "post",
            before(|request| match request.payload()["text"].as_str() {
                Some("shout") => {
                    request.payload_mut()["text"] = json!("SHOUT");
                    Ok(())
                }
                Some("spam") => Err(HandlerError::public("no spam").code("spam")),
                _ => Ok(()),
            }),
        )
        .unwrap()
        .build()
        .unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "login", json!({"text": "ann"})).await;
    send(&mut session, "post", json!({"text": "shout"})).await;
    assert_eq!(next(&mut outbox)["payload"]["text"], r#"ann ("q"): SHOUT"#);
    send(&mut session, "post", json!({"text": "spam"})).await;
    assert_eq!(error_code(&mut outbox), "spam");
    assert_eq!(
        *app.outcomes.lock().unwrap(),
        [
            ("login".to_owned(), true),
            ("post".to_owned(), true),
            ("post".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn a_stream_sends_numbered_chunks_then_done() {
    let bindings = builder().0.build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "count", json!({"n": 3})).await;
    let mut frames = Vec::new();
    while frames.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(5), outbox.recv())
            .await
            .unwrap()
        {
            Some(Outgoing::Text(text)) => {
                frames.push(serde_json::from_slice::<Value>(&text).unwrap())
            }
            other => panic!("{other:?}"),
        }
    }
    let id = frames[0]["stream"]["id"].clone();
    for (seq, frame) in frames[..3].iter().enumerate() {
        assert_eq!(frame["messageName"], "number");
        assert_eq!(frame["payload"]["n"], seq);
        assert_eq!(
            frame["stream"],
            json!({"id": id, "seq": seq, "state": "chunk"})
        );
        assert_eq!(frame["replyTo"], "q");
    }
    assert_eq!(
        frames[3]["stream"],
        json!({"id": id, "seq": 3, "state": "done"})
    );
    assert!(frames[3].get("payload").is_none());
}

#[tokio::test]
async fn a_chunk_off_its_schema_ends_the_stream_with_an_error() {
    let bindings = builder().0.build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    // `number` allows n ≤ 1000: chunk 1001 fails, and an error frame ends the stream.
    send(&mut session, "count", json!({"n": 1002})).await;
    let mut frames = Vec::new();
    while frames.len() < 1002 {
        match tokio::time::timeout(Duration::from_secs(5), outbox.recv())
            .await
            .unwrap()
        {
            Some(Outgoing::Text(text)) => {
                frames.push(serde_json::from_slice::<Value>(&text).unwrap())
            }
            other => panic!("{other:?}"),
        }
    }
    let last = &frames[1001];
    assert_eq!(frames[1000]["payload"]["n"], 1000);
    assert_eq!(last["error"]["code"], "handler_error", "{last}");
    assert_eq!(last["stream"]["state"], "done");
    assert_eq!(last["stream"]["seq"], 1001);
}

#[tokio::test]
async fn cancel_frames_and_disconnects_end_streams() {
    let (builder, app) = builder();
    let bindings = builder.outbound_queue(4).build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    send(&mut session, "count", json!({"n": 1000})).await;
    let first = match tokio::time::timeout(Duration::from_secs(5), outbox.recv())
        .await
        .unwrap()
    {
        Some(Outgoing::Text(text)) => serde_json::from_slice::<Value>(&text).unwrap(),
        other => panic!("{other:?}"),
    };
    let id = first["stream"]["id"].clone();
    send(&mut session, "$cancel", json!({"stream": id})).await;
    let done = loop {
        match tokio::time::timeout(Duration::from_secs(5), outbox.recv())
            .await
            .unwrap()
        {
            Some(Outgoing::Text(text)) => {
                let frame: Value = serde_json::from_slice(&text).unwrap();
                if frame["stream"]["state"] == "done" {
                    break frame;
                }
            }
            other => panic!("{other:?}"),
        }
    };
    assert!(
        done["stream"]["seq"].as_u64().unwrap() < 1000,
        "cancelled early: {done}"
    );
    assert!(app.producer_dropped.load(Ordering::SeqCst));
    send(&mut session, "$cancel", json!({"stream": id})).await;
    assert!(
        outbox.try_recv().is_none(),
        "cancelling an ended stream is no error"
    );
    send(&mut session, "$cancel", json!({"nope": 1})).await;
    assert_eq!(error_code(&mut outbox), "bad_frame");

    app.producer_dropped.store(false, Ordering::SeqCst);
    send(&mut session, "count", json!({"n": 1000})).await;
    // Once the first chunk is out, the producer is running (and soon waits for room).
    tokio::time::timeout(Duration::from_secs(5), outbox.recv())
        .await
        .unwrap();
    session.close().await;
    drop(outbox);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !app.producer_dropped.load(Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the producer outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn binary_frames_reach_the_binary_handler_after_its_guards() {
    let bindings = builder().0.build().unwrap();
    let (mut session, mut outbox) = open(&bindings);
    let error = session
        .handle_binary(vec![1, 2, 3].into())
        .await
        .unwrap_err();
    assert_eq!(error.code.as_str(), "bad_frame", "no binary handler");
    let _ = next(&mut outbox);

    let bindings = builder()
        .0
        .on_binary(|peer: Peer, Binary(bytes): Binary| async move {
            peer.send("stored", &json!({ "bytes": bytes.len() }))
                .await?;
            Ok::<_, HandlerError>(())
        })
        .guard_binary(Guard::has::<User>().reason("log in before uploading"))
        .build()
        .unwrap();
    let (mut session, mut outbox) = open(&bindings);
    session
        .handle_binary(vec![1, 2, 3].into())
        .await
        .unwrap_err();
    assert_eq!(
        next(&mut outbox)["error"]["message"],
        "log in before uploading"
    );
    send(&mut session, "login", json!({"text": "ann"})).await;
    session.handle_binary(vec![1, 2, 3].into()).await.unwrap();
    assert_eq!(next(&mut outbox)["payload"]["bytes"], 3);
}
