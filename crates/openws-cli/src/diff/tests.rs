//! The classification table: pairs of specs and the changes expected between them.

use openws_core::Document;
use serde_json::{Value, json};

use super::{BOTH, HARMLESS, Impact, Kind, NARROWED, WIDENED, diff, report};

/// The spec every case starts from.
fn base() -> Value {
    json!({
        "openws": "0.0.2",
        "networks": { "chat": { "roles": {
            "server": {
                "x-host": true,
                "endpoints": [{"host": "localhost", "port": 8082, "path": "/chat"}],
                "messages": {
                    "join": {
                        "payload": {
                            "type": "object",
                            "description": "enter a room",
                            "properties": {
                                "room": {"type": "string"},
                                "nick": {"type": "string"},
                                "tags": {"type": "array", "items": {"type": "number"}}
                            },
                            "required": ["room"]
                        },
                        "from": ["client", "portal"]
                    },
                    "post": {
                        "payload": {
                            "type": "object",
                            "properties": {
                                "text": {"type": "string", "maxLength": 100},
                                "n": {"type": "number"},
                                "mood": {"enum": ["happy", "sad"]}
                            },
                            "required": ["text"]
                        }
                    }
                }
            },
            "client": { "messages": { "joined": { "payload": {
                "type": "object",
                "properties": {"room": {"type": "string"}},
                "required": ["room"],
                "additionalProperties": false
            } } } },
            "portal": { "messages": {} }
        } } }
    })
}

const JOIN: &str = "/networks/chat/roles/server/messages/join";
const POST: &str = "/networks/chat/roles/server/messages/post";
const JOINED: &str = "/networks/chat/roles/client/messages/joined";

fn at<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut Value {
    spec.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in the base spec"))
}

fn object<'a>(spec: &'a mut Value, pointer: &str) -> &'a mut serde_json::Map<String, Value> {
    at(spec, pointer).as_object_mut().expect("an object")
}

type Expected = &'static [(Kind, (Impact, Impact))];

/// One row: a name, how the new spec differs from [`base`], and the expected changes.
struct Case {
    name: &'static str,
    edit: fn(&mut Value),
    expected: Expected,
}

const CASES: &[Case] = &[
    Case {
        name: "identical specs",
        edit: |_| {},
        expected: &[],
    },
    Case {
        name: "descriptions and titles only",
        edit: |s| {
            *at(s, &format!("{JOIN}/payload/description")) = json!("join a room");
            object(s, &format!("{POST}/payload")).insert("title".into(), json!("Post"));
        },
        expected: &[],
    },
    Case {
        name: "message removed",
        edit: |s| {
            object(s, "/networks/chat/roles/server/messages").remove("post");
        },
        expected: &[(Kind::MessageRemoved, NARROWED)],
    },
    Case {
        name: "message added",
        edit: |s| {
            object(s, "/networks/chat/roles/server/messages")
                .insert("leave".into(), json!({"payload": {"type": "object"}}));
        },
        expected: &[(Kind::MessageAdded, HARMLESS)],
    },
    Case {
        name: "new required field",
        edit: |s| {
            object(s, &format!("{JOIN}/payload/properties"))
                .insert("age".into(), json!({"type": "integer"}));
            at(s, &format!("{JOIN}/payload/required"))
                .as_array_mut()
                .unwrap()
                .push(json!("age"));
        },
        expected: &[(Kind::RequiredPropertyAdded, NARROWED)],
    },
    Case {
        name: "new optional field",
        edit: |s| {
            object(s, &format!("{JOIN}/payload/properties"))
                .insert("avatar".into(), json!({"type": "string"}));
        },
        expected: &[(Kind::OptionalPropertyAdded, HARMLESS)],
    },
    Case {
        name: "new optional field where no other was allowed",
        edit: |s| {
            object(s, &format!("{JOINED}/payload/properties"))
                .insert("by".into(), json!({"type": "string"}));
        },
        expected: &[(Kind::OptionalPropertyAdded, WIDENED)],
    },
    Case {
        name: "optional field made required",
        edit: |s| *at(s, &format!("{JOIN}/payload/required")) = json!(["room", "nick"]),
        expected: &[(Kind::PropertyNowRequired, NARROWED)],
    },
    Case {
        name: "required field made optional",
        edit: |s| *at(s, &format!("{JOIN}/payload/required")) = json!([]),
        expected: &[(Kind::PropertyNowOptional, WIDENED)],
    },
    Case {
        name: "optional field removed",
        edit: |s| {
            object(s, &format!("{JOIN}/payload/properties")).remove("nick");
        },
        expected: &[(Kind::PropertyRemoved, HARMLESS)],
    },
    Case {
        name: "required field removed",
        edit: |s| {
            object(s, &format!("{POST}/payload/properties")).remove("text");
            *at(s, &format!("{POST}/payload/required")) = json!([]);
        },
        expected: &[(Kind::PropertyRemoved, WIDENED)],
    },
    Case {
        name: "number narrowed to integer",
        edit: |s| *at(s, &format!("{POST}/payload/properties/n/type")) = json!("integer"),
        expected: &[(Kind::TypeNarrowed, NARROWED)],
    },
    Case {
        name: "string widened to string or null",
        edit: |s| {
            *at(s, &format!("{JOIN}/payload/properties/nick/type")) = json!(["string", "null"]);
        },
        expected: &[(Kind::TypeWidened, WIDENED)],
    },
    Case {
        name: "string changed to number",
        edit: |s| *at(s, &format!("{JOIN}/payload/properties/room/type")) = json!("number"),
        expected: &[(Kind::TypeChanged, BOTH)],
    },
    Case {
        name: "array items narrowed",
        edit: |s| {
            *at(s, &format!("{JOIN}/payload/properties/tags/items/type")) = json!("integer");
        },
        expected: &[(Kind::TypeNarrowed, NARROWED)],
    },
    Case {
        name: "role removed from a from list",
        edit: |s| *at(s, &format!("{JOIN}/from")) = json!(["client"]),
        expected: &[(Kind::SenderRemoved, NARROWED)],
    },
    Case {
        name: "from list dropped while it named every other role",
        edit: |s| {
            object(s, JOIN).remove("from");
        },
        expected: &[],
    },
    Case {
        name: "from list added to an open message",
        edit: |s| {
            object(s, POST).insert("from".into(), json!(["client"]));
        },
        expected: &[(Kind::SenderRemoved, NARROWED)],
    },
    Case {
        name: "role added: it may send the messages without a from list",
        edit: |s| {
            object(s, "/networks/chat/roles").insert("bot".into(), json!({"messages": {}}));
        },
        expected: &[
            (Kind::SenderAdded, HARMLESS),
            (Kind::SenderAdded, HARMLESS),
            (Kind::RoleAdded, HARMLESS),
        ],
    },
    Case {
        name: "role removed",
        edit: |s| {
            object(s, "/networks/chat/roles").remove("portal");
            *at(s, &format!("{JOIN}/from")) = json!(["client"]);
        },
        // Roles in name order (`json!` sorts keys): client, portal, server.
        expected: &[
            (Kind::SenderRemoved, NARROWED),
            (Kind::RoleRemoved, BOTH),
            (Kind::SenderRemoved, NARROWED),
            (Kind::SenderRemoved, NARROWED),
        ],
    },
    Case {
        name: "enum value removed",
        edit: |s| *at(s, &format!("{POST}/payload/properties/mood/enum")) = json!(["happy"]),
        expected: &[(Kind::ConstraintTightened, NARROWED)],
    },
    Case {
        name: "enum value added",
        edit: |s| {
            *at(s, &format!("{POST}/payload/properties/mood/enum")) =
                json!(["happy", "sad", "angry"]);
        },
        expected: &[(Kind::ConstraintLoosened, WIDENED)],
    },
    Case {
        name: "maxLength lowered",
        edit: |s| *at(s, &format!("{POST}/payload/properties/text/maxLength")) = json!(50),
        expected: &[(Kind::ConstraintTightened, NARROWED)],
    },
    Case {
        name: "maxLength dropped",
        edit: |s| {
            object(s, &format!("{POST}/payload/properties/text")).remove("maxLength");
        },
        expected: &[(Kind::ConstraintLoosened, WIDENED)],
    },
    Case {
        name: "pattern added",
        edit: |s| {
            object(s, &format!("{JOIN}/payload/properties/room"))
                .insert("pattern".into(), json!("^[a-z]+$"));
        },
        expected: &[(Kind::ConstraintTightened, NARROWED)],
    },
    Case {
        name: "other properties allowed again",
        edit: |s| {
            object(s, &format!("{JOINED}/payload")).remove("additionalProperties");
        },
        expected: &[(Kind::ConstraintLoosened, WIDENED)],
    },
    Case {
        name: "composition keyword added",
        edit: |s| {
            object(s, &format!("{POST}/payload")).insert(
                "oneOf".into(),
                json!([{"required": ["n"]}, {"required": ["mood"]}]),
            );
        },
        expected: &[(Kind::SchemaChanged, BOTH)],
    },
    Case {
        name: "host role moved",
        edit: |s| {
            object(s, "/networks/chat/roles/server").remove("x-host");
            object(s, "/networks/chat/roles/portal").insert("x-host".into(), json!(true));
        },
        expected: &[(Kind::HostChanged, BOTH)],
    },
    Case {
        name: "endpoint path changed",
        edit: |s| {
            *at(s, "/networks/chat/roles/server/endpoints/0/path") = json!("/chat/v2");
        },
        expected: &[
            (Kind::EndpointRemoved, BOTH),
            (Kind::EndpointAdded, HARMLESS),
        ],
    },
    Case {
        name: "network renamed",
        edit: |s| {
            let networks = object(s, "/networks");
            let chat = networks.remove("chat").unwrap();
            networks.insert("talk".into(), chat);
        },
        expected: &[(Kind::NetworkRemoved, BOTH), (Kind::NetworkAdded, HARMLESS)],
    },
];

#[test]
fn every_pair_of_the_table_is_classified_as_expected() {
    assert!(CASES.len() >= 15);
    let old = Document::from_value(base()).expect("the base spec is valid");
    for case in CASES {
        let mut spec = base();
        (case.edit)(&mut spec);
        let new = Document::from_value(spec)
            .unwrap_or_else(|e| panic!("{}: the edited spec is invalid: {e}", case.name));
        let found: Vec<(Kind, (Impact, Impact))> = diff(&old, &new)
            .into_iter()
            .map(|change| (change.kind, (change.senders, change.receivers)))
            .collect();
        assert_eq!(found, case.expected, "case `{}`", case.name);
    }
}

#[test]
fn changes_point_at_where_they_happened() {
    let old = Document::from_value(base()).unwrap();
    let mut spec = base();
    *at(&mut spec, &format!("{POST}/payload/properties/n/type")) = json!("integer");
    let changes = diff(&old, &Document::from_value(spec).unwrap());
    assert_eq!(changes[0].pointer, format!("{POST}/payload/properties/n"));
    assert_eq!(
        changes[0].description,
        "type changed from number to integer"
    );
}

#[test]
fn the_text_report_labels_each_side_and_sums_up() {
    let old = Document::from_value(base()).unwrap();
    let mut spec = base();
    *at(&mut spec, &format!("{JOIN}/from")) = json!(["client"]);
    object(&mut spec, &format!("{JOIN}/payload/properties"))
        .insert("avatar".into(), json!({"type": "string"}));
    let text = report::to_text(&diff(&old, &Document::from_value(spec).unwrap()));
    assert_eq!(
        text,
        format!(
            "BREAKING for senders    {JOIN}/from: `portal` may no longer send `join`\n\
             compatible              {JOIN}/payload/properties/avatar: optional property `avatar` added\n\
             \n2 changes: 1 breaking (1 for senders, 0 for receivers), 1 compatible\n"
        )
    );
}
