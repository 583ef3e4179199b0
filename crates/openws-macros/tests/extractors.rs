//! Handler methods taking extractors, a marked payload, guards and typed replies.

use openws::extract::{ConnState, RequestId};
use openws::typed::{MessageType, TypedPeer};
use openws::{Admission, Ctx, Guard, Outgoing, Reply};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
}

#[derive(Clone, PartialEq)]
struct Author(String);

#[openws::role(name = "writer", messages(noted: Note))]
struct Writer;

struct Board;

#[openws::host(name = "board", network = "notes", roles = [Writer])]
impl Board {
    #[handler]
    async fn sign(&self, ctx: Ctx<Self>, name: Note) {
        ctx.connection().insert(Author(name.text));
    }

    /// The payload in the middle, marked; extractors around it; a typed reply.
    #[handler(guard = Guard::has::<Author>().reason("sign first"))]
    async fn add(
        &self,
        ConnState(Author(author)): ConnState<Author>,
        #[payload] note: Note,
        id: Option<RequestId>,
        _writer: TypedPeer<Writer>,
    ) -> Reply<Note> {
        let id = id.map_or("-".to_owned(), |id| id.get().to_owned());
        Reply::to::<writer::Noted>(Note {
            text: format!("{author} {id} {}", note.text),
        })
    }
}

fn frame(outbox: &mut openws::Outbox) -> Value {
    match outbox.try_recv() {
        Some(Outgoing::Text(text)) => serde_json::from_slice(&text).unwrap(),
        other => panic!("expected a frame, got {other:?}"),
    }
}

#[tokio::test]
async fn extractors_guards_and_replies_in_macro_handlers() {
    let bindings = Board.bindings().unwrap().build().unwrap();
    let (mut session, mut outbox) = bindings.session(Admission::role("writer"));
    let add =
        json!({"fromRole": "writer", "messageName": "add", "payload": {"text": "hi"}, "id": 3});
    session.handle_text(&add.to_string()).await.unwrap_err();
    assert_eq!(frame(&mut outbox)["error"]["message"], "sign first");
    let sign = json!({"fromRole": "writer", "messageName": "sign", "payload": {"text": "ann"}});
    session.handle_text(&sign.to_string()).await.unwrap();
    session.handle_text(&add.to_string()).await.unwrap();
    let reply = frame(&mut outbox);
    assert_eq!(reply["messageName"], writer::Noted::NAME);
    assert_eq!(reply["payload"]["text"], "ann 3 hi");
    assert_eq!(reply["replyTo"], 3);
}
