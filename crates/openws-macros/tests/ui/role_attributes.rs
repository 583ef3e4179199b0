// Malformed `#[openws::role]` attributes.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Room {
    id: String,
}

#[openws::role(messages(joined: Room))]
struct NoName;

#[openws::role(name = "client", mesages(joined: Room))]
struct Misspelt;

#[openws::role(name = "client", messages(joined))]
struct NoPayload;

#[openws::role(name = "client", messages(joined(rename = "j"): Room))]
struct UnknownMessageKey;

#[openws::role(name = "client", messages(joined: Room, joined: Room))]
struct Twice;

#[openws::role(name = "client", messages(send: Room))]
struct Shadowed;

#[openws::role(name = "client", messages(noted(name = "note.added"): Room))]
struct BadName;

fn main() {}
