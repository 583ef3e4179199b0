//! Spec documents: parsing, round trips, and what validation refuses (and where).

use openws_core::spec::Document;
use openws_core::{Message, Network, Role, SpecError};
use serde_json::{Value, json};

fn chat_document() -> Value {
    json!({
        "openws": "0.0.2",
        "title": "Chat",
        "x-owner": {"team": "realtime"},
        "networks": {
            "chat": {
                "description": "rooms",
                "x-region": "eu",
                "roles": {
                    "server": {
                        "x-host": true,
                        "endpoints": [{"host": "localhost", "port": 8082, "path": "/chat", "x-scheme": "ws"}],
                        "messages": {
                            "joinRoom": {
                                "payload": {"type": "object", "properties": {"roomId": {"type": "string"}}},
                                "from": ["client"],
                                "x-rate": 5
                            }
                        }
                    },
                    "client": {"messages": {"joinedRoom": {"payload": {"type": "object"}, "description": "hi"}}}
                }
            }
        }
    })
}

fn problems(value: Value) -> Vec<(String, String)> {
    let error: SpecError = Document::from_value(value).expect_err("document is invalid");
    error
        .problems
        .into_iter()
        .map(|p| (p.location, p.message))
        .collect()
}

#[test]
fn valid_document_round_trips_with_extensions() {
    let value = chat_document();
    let document = Document::from_value(value.clone()).unwrap();
    assert_eq!(document.extensions["x-owner"], json!({"team": "realtime"}));
    let server = &document.networks["chat"].roles["server"];
    assert_eq!(server.messages["joinRoom"].extensions["x-rate"], 5);
    assert_eq!(
        server.endpoints.as_ref().unwrap()[0].extensions["x-scheme"],
        "ws"
    );
    assert_eq!(document.networks["chat"].host_role(), Some("server"));
    assert_eq!(document.to_value(), value);
    let text = serde_json::to_string(&document).unwrap();
    assert_eq!(Document::from_json_str(&text).unwrap(), document);
}

#[test]
fn official_schema_violations_name_their_location() {
    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["bad name!"] = json!({"messages": {}});
    let found = problems(value);
    assert!(
        found.iter().any(|(at, _)| at == "/networks/chat/roles"),
        "{found:?}"
    );

    let mut value = chat_document();
    value["openws"] = json!("9.9.9");
    let found = problems(value);
    assert!(found.iter().any(|(at, _)| at == "/openws"), "{found:?}");

    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["client"]["messages"]["joinedRoom"]
        .as_object_mut()
        .unwrap()
        .remove("payload");
    let found = problems(value);
    assert!(
        found.iter().any(
            |(at, m)| at == "/networks/chat/roles/client/messages/joinedRoom"
                && m.contains("payload")
        ),
        "{found:?}"
    );

    assert!(!problems(json!({"openws": "0.0.2", "networks": {}})).is_empty());
    assert!(!problems(json!([1])).is_empty());
}

#[test]
fn from_must_name_roles_of_the_network() {
    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["server"]["messages"]["joinRoom"]["from"] =
        json!(["client", "ghost"]);
    let found = problems(value);
    assert_eq!(
        found,
        [(
            "/networks/chat/roles/server/messages/joinRoom/from".to_owned(),
            "`ghost` is not a role of network `chat`".to_owned()
        )]
    );
}

#[test]
fn payloads_must_be_json_schemas() {
    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["client"]["messages"]["joinedRoom"]["payload"] =
        json!({"type": "no-such-type"});
    let found = problems(value);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].0,
        "/networks/chat/roles/client/messages/joinedRoom/payload"
    );
    assert!(
        found[0].1.starts_with("not a valid JSON Schema"),
        "{found:?}"
    );
}

#[test]
fn at_most_one_host_and_a_boolean_marker() {
    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["client"]["x-host"] = json!(true);
    let found = problems(value);
    assert_eq!(found[0].0, "/networks/chat");
    assert!(
        found[0].1.contains("2 roles are marked `x-host`"),
        "{found:?}"
    );

    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["client"]["x-host"] = json!("yes");
    let found = problems(value);
    assert_eq!(found[0].0, "/networks/chat/roles/client/x-host");
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut value = chat_document();
    value["networks"]["chat"]["roles"]["server"]["messages"]["joinRoom"]["from"] = json!(["ghost"]);
    value["networks"]["chat"]["roles"]["client"]["messages"]["joinedRoom"]["payload"] =
        json!({"minimum": "x"});
    let error = Document::from_value(value).unwrap_err();
    assert_eq!(error.problems.len(), 2);
    let text = error.to_string();
    assert!(
        text.contains("at /networks/chat/roles/server/messages/joinRoom/from"),
        "{text}"
    );
    assert!(
        text.contains("at /networks/chat/roles/client/messages/joinedRoom/payload"),
        "{text}"
    );
}

#[test]
fn network_needs_a_host_role() {
    let error = Network::builder("solo")
        .role(Role::new("client").message(Message::new("hello")))
        .build()
        .unwrap_err();
    assert_eq!(error.problems[0].location, "/networks/solo/roles");
    assert!(error.problems[0].message.contains("x-host"));
}

#[test]
fn network_from_document_and_back() {
    let document = Document::from_value(chat_document()).unwrap();
    let network = Network::from_document(&document, "chat").unwrap();
    assert_eq!(network.host_role(), "server");
    assert_eq!(network.remote_roles().collect::<Vec<_>>(), ["client"]);
    // Back out, the same document plus a `name` on every level.
    let exported = network.to_document();
    let mut named = document.clone();
    named.fill_names();
    assert_eq!(exported.networks["chat"], named.networks["chat"]);
    let value = exported.to_value();
    assert_eq!(value["name"], "chat");
    assert_eq!(value["networks"]["chat"]["name"], "chat");
    assert_eq!(
        value["networks"]["chat"]["roles"]["client"]["name"],
        "client"
    );
    assert_eq!(
        value["networks"]["chat"]["roles"]["server"]["messages"]["joinRoom"]["name"],
        "joinRoom"
    );
    Document::from_value(value).unwrap();
    let missing = Network::from_document(&document, "nope").unwrap_err();
    assert!(missing.to_string().contains("no network `nope`"));
}

#[test]
fn names_already_given_are_kept() {
    let mut value = chat_document();
    value["name"] = json!("chat-app");
    value["networks"]["chat"]["roles"]["client"]["name"] = json!("Chat client");
    let mut document = Document::from_value(value).unwrap();
    document.fill_names();
    let value = document.to_value();
    assert_eq!(value["name"], "chat-app");
    assert_eq!(
        value["networks"]["chat"]["roles"]["client"]["name"],
        "Chat client"
    );
    assert_eq!(
        value["networks"]["chat"]["roles"]["server"]["name"],
        "server"
    );
}

#[test]
fn builder_derives_draft07_payload_schemas() {
    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Join {
        room_id: String,
        seats: Option<u8>,
    }
    let network = Network::builder("n")
        .role(Role::host("s").message(Message::new("join").payload::<Join>().from(["c"])))
        .role(Role::new("c").message(Message::new("ok")))
        .build()
        .unwrap();
    let payload = &network.spec().roles["s"].messages["join"].payload;
    assert!(payload.get("$schema").is_none());
    assert_eq!(payload["type"], "object");
    assert_eq!(payload["required"], json!(["room_id"]));
    // The derived schema is accepted by the official document schema too.
    Document::from_value(network.to_document().to_value()).unwrap();
}
