//! The attribute options: renames, descriptions, module and trait names, the
//! `crate` path, handlers without `self`, and a default handler beside a
//! per-sender one.

use std::sync::atomic::{AtomicU32, Ordering};

use ows::typed::{MessageType, TypedPeer};
use ows::{Admission, Ctx, HandlerError, Outgoing};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use openws as ows;

#[derive(Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
}

const WATCHER: &str = "Watches notes";

#[openws::role(
    name = "watcher",
    crate = ows,
    description = WATCHER,
    module = watcher_messages,
    peer_trait = Watch,
    messages(noted(name = "note-added", description = "A note was added"): Note),
)]
pub(crate) struct Watcher;

/// Writes notes
#[openws::role(name = "writer", crate = ows, messages(acknowledged: Note))]
pub(crate) struct Writer;

#[derive(Default)]
struct Board {
    by_anyone: AtomicU32,
}

#[openws::host(
    name = "board",
    network(name = "notes", description = "Notes, written and watched"),
    roles = [Watcher, Writer],
    description = "The note board",
    module = board_messages,
    crate = ows,
)]
impl Board {
    /// The default: every sender without its own handler.
    #[handler(name = "add", description = "Adds a note")]
    async fn add_from_anyone(&self, note: Note) -> Result<(), HandlerError> {
        self.by_anyone.fetch_add(1, Ordering::SeqCst);
        let _ = note;
        Ok(())
    }

    /// Writers get an acknowledgement, through their typed peer.
    #[handler(name = "add")]
    async fn add_from_writer(
        writer: TypedPeer<Writer>,
        ctx: Ctx<Self>,
        note: Note,
    ) -> Result<(), HandlerError> {
        writer.acknowledged(&note).await?;
        ctx.state().by_anyone.load(Ordering::SeqCst);
        Ok(())
    }

    #[handler(from = Watcher)]
    async fn watch(watcher: TypedPeer<Watcher>, note: Note) -> Result<(), HandlerError> {
        watcher.noted(&note).await?;
        Ok(())
    }
}

#[test]
fn options_shape_the_spec() {
    let spec = serde_json::to_value(Board::network().to_document()).unwrap();
    let network = &spec["networks"]["notes"];
    assert_eq!(network["description"], "Notes, written and watched");
    assert_eq!(network["roles"]["board"]["description"], "The note board");
    assert_eq!(network["roles"]["board"]["x-host"], true);
    let add = &network["roles"]["board"]["messages"]["add"];
    assert_eq!(add["description"], "Adds a note");
    assert_eq!(
        add.get("from"),
        None,
        "a handler for every sender: no `from`"
    );
    assert_eq!(
        network["roles"]["board"]["messages"]["watch"]["from"],
        json!(["watcher"])
    );
    let watcher = &network["roles"]["watcher"];
    assert_eq!(watcher["description"], WATCHER);
    assert_eq!(
        watcher["messages"]["note-added"]["description"],
        "A note was added"
    );
    assert_eq!(network["roles"]["writer"]["description"], "Writes notes");
    assert_eq!(watcher_messages::NoteAdded::NAME, "note-added");
    assert_eq!(board_messages::Add::NAME, "add");
    assert_eq!(writer::Acknowledged::NAME, "acknowledged");
}

fn frame(role: &str, name: &str) -> String {
    json!({"fromRole": role, "messageName": name, "payload": {"text": "hi"}}).to_string()
}

#[tokio::test]
async fn the_specific_handler_wins_and_the_default_takes_the_rest() {
    let bindings = Board::default()
        .bindings()
        .unwrap()
        .open_roles(["watcher", "writer"])
        .build()
        .unwrap();
    let (mut writer, mut writer_out) = bindings.session(Admission::role("writer"));
    let (mut watcher, mut watcher_out) = bindings.session(Admission::role("watcher"));

    writer.handle_text(&frame("writer", "add")).await.unwrap();
    let Some(Outgoing::Text(ack)) = writer_out.try_recv() else {
        panic!("the writer's handler acknowledges")
    };
    let ack: Value = serde_json::from_slice(&ack).unwrap();
    assert_eq!(ack["messageName"], "acknowledged");

    watcher.handle_text(&frame("watcher", "add")).await.unwrap();
    assert!(
        watcher_out.try_recv().is_none(),
        "the default handler sends nothing"
    );

    watcher
        .handle_text(&frame("watcher", "watch"))
        .await
        .unwrap();
    let Some(Outgoing::Text(noted)) = watcher_out.try_recv() else {
        panic!("watch answers")
    };
    let noted: Value = serde_json::from_slice(&noted).unwrap();
    assert_eq!(noted["messageName"], "note-added");
}
