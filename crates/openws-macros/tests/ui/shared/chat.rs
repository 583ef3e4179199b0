// Roles and payloads the UI cases share (not a case itself: `tests/ui/*.rs` only).
#![allow(dead_code)]

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Room {
    pub id: String,
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Text {
    pub text: String,
}

#[openws::role(name = "client", messages(joined: Room, said: Text))]
pub struct Client;

#[openws::role(name = "portal", messages(stats: Room))]
pub struct Portal;
