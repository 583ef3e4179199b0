//! Binding handlers: what `Bindings::builder` refuses, and the role rules it accepts.

use openws_core::{
    Admission, BindError, Bindings, ConnectRequest, Ctx, HandlerError, Message, Network, Rejection,
    Role,
};
use serde_json::Value;

fn network(remote: &[&str]) -> Network {
    let mut builder = Network::builder("n").role(
        Role::host("server")
            .message(Message::new("a"))
            .message(Message::new("b")),
    );
    for role in remote {
        builder = builder.role(Role::new(*role).message(Message::new("note")));
    }
    builder.build().unwrap()
}

async fn ok(_: Ctx<()>, _: Value) -> Result<(), HandlerError> {
    Ok(())
}

fn request() -> ConnectRequest {
    ConnectRequest::new("/n".parse().unwrap(), http::HeaderMap::new())
}

#[test]
fn handler_for_unknown_message_is_refused() {
    let error = Bindings::builder(network(&["client"]), ())
        .on("c", ok)
        .unwrap_err();
    assert_eq!(
        error,
        BindError::UnknownMessage {
            network: "n".into(),
            host: "server".into(),
            message: "c".into(),
            accepted: vec!["a".into(), "b".into()],
        }
    );
    assert!(error.to_string().contains("it accepts: a, b"));
}

#[test]
fn second_handler_for_a_message_is_refused() {
    let error = Bindings::builder(network(&["client"]), ())
        .on("a", ok)
        .unwrap()
        .on("a", ok)
        .unwrap_err();
    assert_eq!(
        error,
        BindError::DuplicateHandler {
            message: "a".into(),
            sender: None
        }
    );
}

#[test]
fn unhandled_messages_are_reported_unless_allowed() {
    let error = Bindings::builder(network(&["client"]), ())
        .on("a", ok)
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        BindError::Unhandled {
            network: "n".into(),
            messages: vec!["b".into()],
        }
    );
    Bindings::builder(network(&["client"]), ())
        .on("a", ok)
        .unwrap()
        .allow_unhandled()
        .build()
        .unwrap();
}

#[test]
fn role_rules_must_name_remote_roles() {
    let build = |builder: openws_core::BindingsBuilder<()>| {
        builder.on("a", ok).unwrap().on("b", ok).unwrap().build()
    };
    let error =
        build(Bindings::builder(network(&["client"]), ()).fixed_role("server")).unwrap_err();
    assert!(
        matches!(error, BindError::UnknownRole { ref role, .. } if role == "server"),
        "{error}"
    );
    let error =
        build(Bindings::builder(network(&["client"]), ()).open_roles(["ghost"])).unwrap_err();
    assert!(
        matches!(error, BindError::UnknownRole { ref role, .. } if role == "ghost"),
        "{error}"
    );
    let error = build(Bindings::builder(network(&["client", "portal"]), ())).unwrap_err();
    assert_eq!(
        error,
        BindError::NoRoleSelection {
            network: "n".into(),
            remote: vec!["client".into(), "portal".into()],
        }
    );
}

#[tokio::test]
async fn single_remote_role_is_the_default_fixed_role() {
    let bindings = Bindings::builder(network(&["client"]), ())
        .on("a", ok)
        .unwrap()
        .on("b", ok)
        .unwrap()
        .build()
        .unwrap();
    let admission = bindings.admit(request()).await.unwrap();
    assert_eq!(admission.chosen_role(), Some("client"));
}

#[tokio::test]
async fn admission_follows_hook_then_fixed_then_first_frame() {
    let base = || {
        Bindings::builder(network(&["client", "portal"]), 7u32)
            .on("a", ok_u32)
            .unwrap()
            .on("b", ok_u32)
            .unwrap()
    };
    async fn ok_u32(_: Ctx<u32>, _: Value) -> Result<(), HandlerError> {
        Ok(())
    }
    let first_frame = base().open_roles(["client"]).build().unwrap();
    assert_eq!(
        first_frame.admit(request()).await.unwrap().chosen_role(),
        None
    );

    let hooked = base()
        .on_connect(|request: ConnectRequest, state| async move {
            assert_eq!(*state, 7);
            match request.bearer_token() {
                Some("t") => Ok(Admission::role("portal")),
                Some(_) => Err(Rejection::unauthorized("bad token")),
                None => Ok(Admission::first_frame()),
            }
        })
        .build()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", "Bearer t".parse().unwrap());
    let portal = hooked
        .admit(ConnectRequest::new("/".parse().unwrap(), headers.clone()))
        .await;
    assert_eq!(portal.unwrap().chosen_role(), Some("portal"));
    headers.insert("authorization", "Bearer x".parse().unwrap());
    let refused = hooked
        .admit(ConnectRequest::new("/".parse().unwrap(), headers))
        .await;
    assert_eq!(
        refused.unwrap_err().status(),
        http::StatusCode::UNAUTHORIZED
    );
    // The hook deferred to the first frame, but no role is open on this route.
    let refused = hooked.admit(request()).await.unwrap_err();
    assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);

    let wrong = base()
        .on_connect(|_, _| async { Ok(Admission::role("server")) })
        .build()
        .unwrap();
    let refused = wrong.admit(request()).await.unwrap_err();
    assert_eq!(refused.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn payload_schemas_that_cannot_compile_are_refused_up_front() {
    // A `$ref` that resolves nowhere is well-formed JSON Schema but cannot compile.
    let error = Network::builder("n")
        .role(Role::host("server").message(
            Message::new("a").payload_schema(serde_json::json!({"$ref": "#/definitions/missing"})),
        ))
        .role(Role::new("client").message(Message::new("note")))
        .build()
        .unwrap_err();
    assert_eq!(
        error.problems[0].location,
        "/networks/n/roles/server/messages/a/payload"
    );
}

fn say_network() -> Network {
    Network::builder("n")
        .role(Role::host("server").message(Message::new("say").from(["client", "portal"])))
        .role(Role::new("client").message(Message::new("note")))
        .role(Role::new("portal").message(Message::new("note")))
        .role(Role::new("viewer").message(Message::new("note")))
        .build()
        .unwrap()
}

#[test]
fn per_sender_handlers_follow_the_from_list() {
    let error = Bindings::builder(say_network(), ())
        .from_role("viewer")
        .on("say", ok)
        .unwrap_err();
    assert_eq!(
        error,
        BindError::ForbiddenSender {
            message: "say".into(),
            role: "viewer".into(),
            allowed: vec!["client".into(), "portal".into()],
        }
    );
    let error = Bindings::builder(say_network(), ())
        .from_role("client")
        .on("say", ok)
        .unwrap()
        .on("say", ok)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "message `say` already has a handler for role `client`"
    );
    // One sender covered is not enough; both senders, or a default, are.
    let error = Bindings::builder(say_network(), ())
        .from_role("client")
        .on("say", ok)
        .unwrap()
        .fixed_role("client")
        .build()
        .unwrap_err();
    assert!(matches!(error, BindError::Unhandled { .. }), "{error}");
    Bindings::builder(say_network(), ())
        .from_role("client")
        .on("say", ok)
        .unwrap()
        .from_role("portal")
        .on("say", ok)
        .unwrap()
        .fixed_role("client")
        .build()
        .unwrap();
    Bindings::builder(say_network(), ())
        .on("say", ok)
        .unwrap()
        .from_role("portal")
        .on("say", ok)
        .unwrap()
        .fixed_role("client")
        .build()
        .unwrap();
}
