//! The hub without sockets: rooms, operators, slow receivers, lifecycle hooks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use openws_core::{
    Admission, Bindings, CloseFrame, Ctx, Delivery, HandlerError, HubError, Message, Network,
    Outbox, Outgoing, Peer, Role, SendError, Session,
};
use serde_json::{Value, json};

fn text_schema() -> Value {
    json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
}

/// `player`s and `spectator`s both receive `said`; only players receive `turn`.
fn network() -> Network {
    Network::builder("lobby")
        .role(Role::host("server").message(Message::new("say").payload_schema(text_schema())))
        .role(
            Role::new("player")
                .message(Message::new("said").payload_schema(text_schema()))
                .message(Message::new("turn"))
                .message(Message::new("welcome")),
        )
        .role(
            Role::new("spectator").message(Message::new("said").payload_schema(json!({
                "type": "object",
                "properties": {"text": {"type": "string", "maxLength": 5}},
            }))),
        )
        .build()
        .unwrap()
}

fn builder() -> openws_core::BindingsBuilder<()> {
    Bindings::builder(network(), ())
        .on("say", |_: Ctx<()>, _: Value| async {
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .open_roles(["player", "spectator"])
}

fn connect(bindings: &Bindings, role: &str) -> (Session, Outbox, Peer) {
    let (session, outbox) = bindings.session(Admission::role(role));
    let peer = session.peer().unwrap().clone();
    (session, outbox, peer)
}

/// Every text frame waiting in `outbox`, as raw bytes.
fn drain(outbox: &mut Outbox) -> Vec<bytes::Bytes> {
    std::iter::from_fn(|| match outbox.try_recv() {
        Some(Outgoing::Text(bytes)) => Some(bytes),
        Some(other) => panic!("expected a text frame, got {other:?}"),
        None => None,
    })
    .collect()
}

fn payload(frame: &[u8]) -> Value {
    serde_json::from_slice::<Value>(frame).unwrap()["payload"].clone()
}

#[tokio::test]
async fn rooms_list_members_in_join_order_and_free_when_empty() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (_a, _oa, a) = connect(&bindings, "player");
    let (_b, _ob, b) = connect(&bindings, "player");
    assert_eq!(hub.len(), 2);
    assert!(a.join("r").unwrap(), "the first join creates the room");
    assert!(!b.join("r").unwrap());
    assert!(!b.join("r").unwrap(), "joining twice is a no-op");
    let members: Vec<_> = hub.members("r").iter().map(Peer::connection_id).collect();
    assert_eq!(members, [a.connection_id(), b.connection_id()]);
    assert_eq!(b.connection().rooms(), ["r"]);
    assert!(matches!(
        hub.create_room(b.connection_id(), "r").await,
        Err(HubError::RoomExists(_))
    ));
    assert!(matches!(
        hub.join_existing(b.connection_id(), "nowhere").await,
        Err(HubError::NoSuchRoom(_))
    ));
    assert!(a.leave("r"));
    assert!(!a.leave("r"));
    assert!(b.leave("r"));
    assert!(hub.rooms().is_empty(), "an empty room is freed");
    hub.create_room(a.connection_id(), "r").await.unwrap();
}

#[tokio::test]
async fn a_closed_connection_leaves_the_registry_and_every_room() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (session, _outbox, a) = connect(&bindings, "player");
    let (_s, _o, b) = connect(&bindings, "player");
    for room in ["x", "y", "z"] {
        a.join(room).unwrap();
    }
    b.join("y").unwrap();
    session.close().await;
    assert_eq!(hub.len(), 1);
    assert!(hub.peer(a.connection_id()).is_none());
    assert_eq!(hub.rooms(), ["y"]);
    assert!(a.connection().rooms().is_empty());
    assert!(matches!(a.join("w"), Err(HubError::NotConnected(_))));
}

#[tokio::test]
async fn a_room_broadcast_is_encoded_once_and_skips_the_sender() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (_s1, mut sender_out, sender) = connect(&bindings, "player");
    let mut outboxes = Vec::new();
    for _ in 0..3 {
        let (session, outbox, peer) = connect(&bindings, "player");
        peer.join("r").unwrap();
        outboxes.push((session, outbox));
    }
    let (_s2, mut outsider_out, _) = connect(&bindings, "player");
    sender.join("r").unwrap();
    let delivery = hub
        .to("r")
        .except(sender.connection_id())
        .send("said", &json!({"text": "hi"}))
        .await
        .unwrap();
    assert_eq!(delivery.delivered, 3);
    assert_eq!(
        (delivery.closed_slow, delivery.gone, delivery.not_accepted),
        (0, 0, 0)
    );
    let frames: Vec<bytes::Bytes> = outboxes
        .iter_mut()
        .flat_map(|(_, outbox)| drain(outbox))
        .collect();
    assert_eq!(frames.len(), 3);
    assert_eq!(payload(&frames[0]), json!({"text": "hi"}));
    assert!(
        frames.iter().all(|f| f.as_ptr() == frames[0].as_ptr()),
        "every receiver shares one encoding"
    );
    assert!(drain(&mut sender_out).is_empty());
    assert!(drain(&mut outsider_out).is_empty());
}

#[tokio::test]
async fn broadcasts_validate_once_per_receiving_role() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (_s1, mut player_out, _) = connect(&bindings, "player");
    let (_s2, mut spectator_out, _) = connect(&bindings, "spectator");

    // Too long for a spectator's schema: refused as a whole, nothing sent.
    let refused = hub.all().send("said", &json!({"text": "too long"})).await;
    assert!(
        matches!(refused, Err(SendError::InvalidPayload(_))),
        "{refused:?}"
    );
    assert!(drain(&mut player_out).is_empty());

    // The same payload to players only passes.
    let players = hub
        .role("player")
        .send("said", &json!({"text": "too long"}))
        .await
        .unwrap();
    assert_eq!(players.delivered, 1);
    assert_eq!(drain(&mut player_out).len(), 1);
    assert!(drain(&mut spectator_out).is_empty());

    // A message only players receive: spectators are counted, not skipped silently.
    let turn = hub.all().send("turn", &json!({})).await.unwrap();
    assert_eq!((turn.delivered, turn.not_accepted), (1, 1));
    let unknown = hub.all().send("nope", &json!({})).await;
    assert!(
        matches!(unknown, Err(SendError::UnknownMessage { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn filter_multicasts_by_connection_state() {
    #[derive(Clone)]
    struct Team(&'static str);
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let mut outboxes = Vec::new();
    for team in ["red", "blue", "red"] {
        let (session, outbox, peer) = connect(&bindings, "player");
        peer.connection().insert(Team(team));
        outboxes.push((session, outbox, team));
    }
    let delivery = hub
        .filter(|c| c.get::<Team>().is_some_and(|Team(t)| t == "red"))
        .send("said", &json!({"text": "red!"}))
        .await
        .unwrap();
    assert_eq!(delivery.delivered, 2);
    for (_, outbox, team) in &mut outboxes {
        assert_eq!(drain(outbox).len(), usize::from(*team == "red"), "{team}");
    }
}

#[tokio::test]
async fn a_full_receiver_is_closed_as_slow_and_the_others_get_everything() {
    let bindings = builder().outbound_queue(4).build().unwrap();
    let hub = bindings.hub();
    let (_s1, mut slow_out, slow) = connect(&bindings, "player");
    let (_s2, mut fast_out, _) = connect(&bindings, "player");
    let mut received = 0;
    let mut total = Delivery::default();
    for n in 0..20 {
        let delivery = hub
            .all()
            .send("said", &json!({"text": n.to_string()}))
            .await
            .unwrap();
        total.merge(delivery);
        received += drain(&mut fast_out).len();
    }
    assert_eq!(received, 20, "the reading receiver got every frame");
    assert_eq!(total.closed_slow, 1, "the slow one is closed once");
    assert_eq!(total.delivered, 20 + 4);
    assert_eq!(total.gone, 15, "and counted as gone afterwards");
    assert!(!slow.is_connected());
    match slow_out.recv().await {
        Some(Outgoing::Close(frame)) => assert_eq!(frame.code, CloseFrame::POLICY),
        other => panic!("expected a 1008 close, got {other:?}"),
    }
}

#[tokio::test]
async fn push_by_id_reaches_one_connection_or_says_it_is_unknown() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (session, mut outbox, peer) = connect(&bindings, "player");
    hub.send_to(peer.connection_id(), "said", &json!({"text": "psst"}))
        .await
        .unwrap();
    assert_eq!(payload(&drain(&mut outbox)[0]), json!({"text": "psst"}));
    let id = peer.connection_id();
    hub.connection(id)
        .send("said", &json!({"text": "again"}))
        .await
        .unwrap();
    assert_eq!(payload(&drain(&mut outbox)[0]), json!({"text": "again"}));
    session.close().await;
    let gone = hub.send_to(id, "said", &json!({"text": "x"})).await;
    assert!(
        matches!(gone, Err(SendError::UnknownConnection(_))),
        "{gone:?}"
    );
    let gone = hub.connection(id).send("said", &json!({"text": "x"})).await;
    assert!(
        matches!(gone, Err(SendError::UnknownConnection(_))),
        "{gone:?}"
    );
}

#[tokio::test]
async fn close_by_id_drains_the_queue_then_closes_or_says_why_not() {
    let bindings = builder().build().unwrap();
    let hub = bindings.hub();
    let (_session, mut outbox, peer) = connect(&bindings, "player");
    let id = peer.connection_id();
    peer.send("said", &json!({"text": "last"})).await.unwrap();
    hub.close(id, CloseFrame::new(4001, "kicked"))
        .await
        .unwrap();
    assert!(!peer.is_connected());
    match outbox.recv().await {
        Some(Outgoing::Text(frame)) => assert_eq!(payload(&frame), json!({"text": "last"})),
        other => panic!("expected the queued frame first, got {other:?}"),
    }
    match outbox.recv().await {
        Some(Outgoing::Close(frame)) => assert_eq!(frame, CloseFrame::new(4001, "kicked")),
        other => panic!("expected the close frame, got {other:?}"),
    }
    let again = hub.close(id, CloseFrame::new(4001, "kicked")).await;
    assert!(matches!(again, Err(SendError::Disconnected)), "{again:?}");
    let nobody = "0000000000000000-1".parse().unwrap();
    let unknown = hub.close(nobody, CloseFrame::new(1000, "")).await;
    assert!(
        matches!(unknown, Err(SendError::UnknownConnection(_))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn a_connection_may_join_only_so_many_rooms() {
    let bindings = builder().max_rooms_per_connection(2).build().unwrap();
    let (_s, _o, peer) = connect(&bindings, "player");
    peer.join("a").unwrap();
    peer.join("b").unwrap();
    assert!(matches!(
        peer.join("c"),
        Err(HubError::TooManyRooms { max: 2, .. })
    ));
}

#[tokio::test]
async fn open_and_close_hooks_run_in_order_once_each() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let entry = |log: &Arc<Mutex<Vec<String>>>, text: &str| {
        let (log, text) = (Arc::clone(log), text.to_owned());
        move |ctx: Ctx<()>| {
            let (log, text) = (Arc::clone(&log), text.clone());
            async move {
                log.lock()
                    .unwrap()
                    .push(format!("{text} {}", ctx.peer().role()));
            }
        }
    };
    let bindings = builder()
        .on_open(entry(&log, "open 1"))
        .on_open(|ctx: Ctx<()>| async move {
            ctx.peer().send("welcome", &json!({})).await.unwrap();
        })
        .on_open(entry(&log, "open 2"))
        .on_close(entry(&log, "close 1"))
        .on_close(entry(&log, "close 2"))
        .build()
        .unwrap();
    let (mut session, mut outbox) = bindings.session(Admission::first_frame());
    session
        .handle_text(r#"{"fromRole":"player","messageName":"say","payload":{"text":"hi"}}"#)
        .await
        .unwrap();
    let welcome = drain(&mut outbox);
    assert_eq!(
        welcome.len(),
        1,
        "the welcome frame came before the frame's handling"
    );
    session.ready().await;
    session.close().await;
    assert_eq!(
        *log.lock().unwrap(),
        [
            "open 1 player",
            "open 2 player",
            "close 1 player",
            "close 2 player"
        ]
    );
}

#[tokio::test]
async fn a_stored_peer_does_not_keep_the_bindings_alive() {
    struct State {
        peers: Mutex<Vec<Peer>>,
        dropped: Arc<AtomicBool>,
    }
    impl Drop for State {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let state = State {
        peers: Mutex::new(Vec::new()),
        dropped: Arc::clone(&dropped),
    };
    let bindings = Bindings::builder(network(), state)
        .on("say", |ctx: Ctx<State>, _: Value| async move {
            // The state keeps the sender's handle: no cycle back to the state.
            ctx.state().peers.lock().unwrap().push(ctx.peer().clone());
            Ok::<_, HandlerError>(())
        })
        .unwrap()
        .fixed_role("player")
        .build()
        .unwrap();
    let (mut session, outbox) = bindings.session(Admission::role("player"));
    session
        .handle_text(r#"{"fromRole":"player","messageName":"say","payload":{"text":"hi"}}"#)
        .await
        .unwrap();
    let kept = session.peer().unwrap().clone();
    session.close().await;
    drop((outbox, bindings));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the state (and its handlers) are gone"
    );
    assert!(!kept.is_connected());
}
