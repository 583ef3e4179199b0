//! `GET /openws/spec.json`, and two networks served side by side.

use std::sync::Arc;

use openws::Document;
use serde_json::{Value, json};

use crate::Server;
use crate::apps::{self, RoleRule};
use crate::client::Client;
use crate::http_get;

/// The official OpenWS document schema (the copy `openws-core` embeds).
const OFFICIAL_SCHEMA: &str = include_str!("../../../openws-core/src/spec/openws-spec-schema.json");

/// Parses a served spec and checks it against the official schema and
/// openws-core's own rules; panics with the violations otherwise.
pub(crate) fn valid_spec(body: &str) -> Value {
    let spec: Value = serde_json::from_str(body).expect("spec is JSON");
    let schema: Value = serde_json::from_str(OFFICIAL_SCHEMA).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let violations: Vec<String> = validator
        .iter_errors(&spec)
        .map(|e| e.to_string())
        .collect();
    assert!(
        violations.is_empty(),
        "spec violates the official schema: {violations:?}"
    );
    Document::from_value(spec.clone()).expect("spec passes openws-core's checks");
    spec
}

/// The spec lists every mounted network with its endpoint, valid against the
/// official schema; both networks serve traffic at once.
pub async fn spec_endpoint_lists_every_network<S: Server>() {
    let server = S::start(vec![
        apps::chat(),
        apps::probe("/probe", RoleRule::Fixed, Arc::default()),
    ])
    .await;
    let response = http_get::get(server.addr, "/openws/spec.json").await;
    assert_eq!(response.status, 200, "{}", response.body);
    let spec = valid_spec(&response.body);
    let document = Document::from_value(spec.clone()).expect("spec passes openws-core's checks");

    assert_eq!(document.openws, "0.0.2");
    let names: Vec<&str> = document.networks.keys().map(String::as_str).collect();
    assert_eq!(names, ["chat", "probe"]);
    let chat = &document.networks["chat"];
    assert_eq!(chat.roles, {
        let mut expected = apps::chat_network().spec().roles.clone();
        expected["server"].endpoints = chat.roles["server"].endpoints.clone();
        expected
    });
    let endpoint = &chat.roles["server"].endpoints.as_ref().expect("endpoints")[0];
    assert_eq!(
        (
            endpoint.host.as_str(),
            endpoint.port,
            endpoint.path.as_str()
        ),
        ("127.0.0.1", server.addr.port(), "/chat")
    );
    assert_eq!(
        spec["networks"]["probe"]["roles"]["server"]["endpoints"][0]["path"],
        "/probe"
    );
    assert_eq!(spec["networks"]["chat"]["roles"]["server"]["x-host"], true);
    assert_eq!(
        spec["networks"]["chat"]["roles"]["server"]["messages"]["sendMessage"]["from"],
        json!(["client", "portal"])
    );

    let mut chatter = Client::connect(server.addr, "/chat").await;
    let mut prober = Client::connect(server.addr, "/probe").await;
    chatter
        .message(
            "client",
            "createRoom",
            json!({"userId": "u", "roomId": "r"}),
        )
        .await;
    prober
        .message("user", "echo", json!({"text": "side by side"}))
        .await;
    chatter.expect_message("joinedRoom").await;
    prober.expect_message("echoed").await;
    // Each path serves its own network only.
    prober
        .message(
            "client",
            "createRoom",
            json!({"userId": "u", "roomId": "r"}),
        )
        .await;
    prober.expect_error("unknown_role").await;
}

/// The endpoints come from the `Host` header: `Forwarded` and
/// `X-Forwarded-Host` cannot point clients at another server.
pub async fn spec_ignores_forwarding_headers<S: Server>() {
    let server = S::start(vec![apps::chat()]).await;
    let response = http_get::get_with_headers(
        server.addr,
        "/openws/spec.json",
        &[
            ("Forwarded", "host=attacker.example;proto=https"),
            ("X-Forwarded-Host", "attacker.example:9"),
            ("X-Forwarded-Proto", "https"),
        ],
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let spec: Value = serde_json::from_str(&response.body).expect("spec is JSON");
    let endpoint = &spec["networks"]["chat"]["roles"]["server"]["endpoints"][0];
    assert_eq!(endpoint["host"], "127.0.0.1", "{endpoint}");
    assert_eq!(endpoint["port"], server.addr.port(), "{endpoint}");
}
