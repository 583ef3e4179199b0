//! Sessions of random networks fed random frames: nothing panics, and every
//! frame the server sends is a JSON message or error frame from the host role.
//!
//! `cargo test` runs a short pass; `PROPTEST_CASES` makes it longer (see
//! `docs/reliability.md` for the long run).

use std::collections::BTreeMap;
use std::sync::Once;

use openws_core::{
    Admission, Bindings, CloseFrame, Ctx, HandlerError, Message, Network, Outbox, Outgoing, Role,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const HOST: &str = "server";
const REMOTES: [&str; 3] = ["alpha", "beta", "gamma"];
const HOST_MESSAGES: [&str; 4] = ["m0", "m1", "m2", "m3"];
const REMOTE_MESSAGES: [&str; 2] = ["r0", "r1"];
const PANIC_MESSAGE: &str = "the fuzz handler panics on purpose";

/// What a handler does with the frame it gets.
#[derive(Debug, Clone)]
enum Behavior {
    Succeed,
    Fail,
    Panic,
    /// Sends the payload back as this message (which the sender may not accept).
    Reply(&'static str),
    Close,
}

/// A random network and how it is served.
#[derive(Debug, Clone)]
struct Setup {
    /// Remote role name → its messages' payload schemas.
    remotes: BTreeMap<&'static str, Vec<(&'static str, Value)>>,
    host: Vec<HostMessage>,
    /// `None`: the first frame chooses among the open roles.
    fixed_role: Option<&'static str>,
}

/// A message the host accepts.
#[derive(Debug, Clone)]
struct HostMessage {
    name: &'static str,
    schema: Value,
    /// Who may send it (`None`: every remote role).
    from: Option<Vec<&'static str>>,
    /// Its handler's behavior (`None`: unbound).
    handler: Option<Behavior>,
}

/// A small JSON Schema: the keywords a network spec commonly uses.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!({})),
        Just(json!({"type": "string"})),
        (0u32..4).prop_map(|n| json!({"type": "string", "maxLength": n})),
        Just(json!({"type": "integer"})),
        (-3i64..3).prop_map(|m| json!({"type": "number", "minimum": m})),
        Just(json!({"type": "boolean"})),
        Just(json!({"enum": ["a", 1, null]})),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items, "maxItems": 3})),
            object_schema(inner),
        ]
    })
}

fn object_schema(field: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map("[a-c]", field, 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(properties, required, closed)| {
            let keys: Vec<&String> = properties.keys().collect();
            json!({
                "type": "object",
                "properties": properties,
                "required": if required { keys } else { vec![] },
                "additionalProperties": !closed,
            })
        })
}

fn behavior() -> impl Strategy<Value = Behavior> {
    prop_oneof![
        Just(Behavior::Succeed),
        Just(Behavior::Fail),
        Just(Behavior::Panic),
        prop::sample::select(["r0", "r1", "m0", "nope"].as_slice()).prop_map(Behavior::Reply),
        Just(Behavior::Close),
    ]
}

fn setup() -> impl Strategy<Value = Setup> {
    let remote_messages = prop::sample::subsequence(REMOTE_MESSAGES.as_slice(), 0..=2);
    let remotes = prop::collection::btree_map(
        prop::sample::select(REMOTES.as_slice()),
        remote_messages.prop_flat_map(|names| {
            let count = names.len();
            (
                Just(names),
                prop::collection::vec(object_schema(schema()), count),
            )
                .prop_map(|(names, schemas)| names.into_iter().zip(schemas).collect::<Vec<_>>())
        }),
        1..=3,
    );
    remotes.prop_flat_map(|remotes| {
        let names: Vec<&'static str> = remotes.keys().copied().collect();
        let senders = names.clone();
        let host = prop::sample::subsequence(HOST_MESSAGES.as_slice(), 1..=4).prop_flat_map(
            move |messages| {
                let count = messages.len();
                let from = prop::option::of(prop::sample::subsequence(
                    senders.clone(),
                    1..=senders.len(),
                ));
                let message = (object_schema(schema()), from, prop::option::of(behavior()));
                prop::collection::vec(message, count).prop_map(move |specs| {
                    messages
                        .iter()
                        .zip(specs)
                        .map(|(name, (schema, from, handler))| HostMessage {
                            name,
                            schema,
                            from,
                            handler,
                        })
                        .collect::<Vec<_>>()
                })
            },
        );
        let fixed_role = prop::option::of(prop::sample::select(names));
        (Just(remotes), host, fixed_role).prop_map(|(remotes, host, fixed_role)| Setup {
            remotes,
            host,
            fixed_role,
        })
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-c\u{e9}]{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An envelope naming the network's roles and messages (or not quite).
fn envelope() -> impl Strategy<Value = String> {
    let role = prop::sample::select(["alpha", "beta", "gamma", "server", "ghost"].as_slice());
    let name = prop::sample::select(["m0", "m1", "m2", "m3", "r0", "nope"].as_slice());
    let id = prop::option::of(prop_oneof![
        Just("7".to_owned()),
        Just("\"q\"".to_owned()),
        Just("1e400".to_owned()),
        Just("\"\\ud800\"".to_owned()),
        Just(format!("\"{}\"", "i".repeat(200))),
    ]);
    (role, name, json_value(), any::<bool>(), id).prop_map(|(role, name, payload, encoded, id)| {
        let payload = if encoded {
            json!(payload.to_string())
        } else {
            payload
        };
        let id = id.map(|id| format!(",\"id\":{id}")).unwrap_or_default();
        format!(r#"{{"fromRole":"{role}","messageName":"{name}","payload":{payload}{id}}}"#)
    })
}

/// A frame's text: mostly envelopes, some cut short, some anything.
fn frame() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => envelope(),
        1 => (envelope(), any::<prop::sample::Index>()).prop_map(|(text, cut)| {
            text.chars().take(cut.index(text.len())).collect()
        }),
        1 => any::<String>(),
    ]
}

fn bindings(setup: &Setup) -> Bindings {
    let mut network = Network::builder("fuzz").role(setup.host.iter().fold(
        Role::host(HOST),
        |role,
         HostMessage {
             name, schema, from, ..
         }| {
            let message = Message::new(*name).payload_schema(schema.clone());
            role.message(match from {
                Some(from) => message.from(from.iter().copied()),
                None => message,
            })
        },
    ));
    for (remote, messages) in &setup.remotes {
        network = network.role(
            messages
                .iter()
                .fold(Role::new(*remote), |role, (name, schema)| {
                    role.message(Message::new(*name).payload_schema(schema.clone()))
                }),
        );
    }
    let network = network.build().expect("generated networks are valid");
    let mut builder = Bindings::builder(network, ()).allow_unhandled();
    for message in &setup.host {
        let Some(behavior) = message.handler.clone() else {
            continue;
        };
        builder = builder
            .on(message.name, move |ctx: Ctx<()>, payload: Value| {
                let behavior = behavior.clone();
                async move {
                    match behavior {
                        Behavior::Succeed => {}
                        Behavior::Fail => return Err(HandlerError::new("failed on purpose")),
                        Behavior::Panic => panic!("{PANIC_MESSAGE}"),
                        Behavior::Reply(name) => ctx.reply(name, &payload).await?,
                        Behavior::Close => {
                            ctx.peer().close(CloseFrame::new(CloseFrame::NORMAL, "bye"))
                        }
                    }
                    Ok::<_, HandlerError>(())
                }
            })
            .expect("handlers bind");
    }
    let builder = match setup.fixed_role {
        Some(role) => builder.fixed_role(role),
        None => builder.open_roles(setup.remotes.keys().copied().take(2)),
    };
    builder.build().expect("generated bindings build")
}

/// Checks everything the session sent; `true` once it sent a close frame.
fn check_outbox(outbox: &mut Outbox) -> Result<bool, TestCaseError> {
    while let Some(outgoing) = outbox.try_recv() {
        match outgoing {
            Outgoing::Text(bytes) => {
                let frame: Value = serde_json::from_slice(&bytes)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&frame["fromRole"], HOST, "{}", frame);
                prop_assert!(
                    frame["messageName"].is_string() != frame["error"]["code"].is_string(),
                    "neither message nor error: {}",
                    frame
                );
            }
            Outgoing::Close(_) => return Ok(true),
            other => return Err(TestCaseError::fail(format!("a session sent {other:?}"))),
        }
    }
    Ok(false)
}

/// Keeps the panics of [`Behavior::Panic`] handlers off the test output.
fn quiet_handler_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<String>();
            if message.is_none_or(|m| m != PANIC_MESSAGE) {
                default(info);
            }
        }));
    });
}

proptest! {
    #[test]
    fn random_sessions_never_panic(
        setup in setup(),
        frames in prop::collection::vec(prop::option::of(frame()), 1..12),
    ) {
        quiet_handler_panics();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let bindings = bindings(&setup);
            let admission = setup.fixed_role.map_or_else(Admission::first_frame, Admission::role);
            let (mut session, mut outbox) = bindings.session(admission);
            for frame in &frames {
                match frame {
                    Some(text) => drop(session.handle_text(text).await),
                    None => drop(session.handle_binary(bytes::Bytes::from_static(b"\x00")).await),
                }
                if check_outbox(&mut outbox)? {
                    break;
                }
            }
            session.close().await;
            Ok::<_, TestCaseError>(())
        })?;
    }
}
