//! Each command's output and exit code: 0 success, 1 invalid or breaking, 2 usage or I/O.

use openws_core::Document;
use serde_json::{Value, json};

use crate::support::{ChatServer, chat_spec, code, openws, stderr, stdout, stdout_json};

fn path(path: &std::path::Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The chat spec edited by `edit`, written to a scratch file.
fn edited_chat_spec(name: &str, edit: impl FnOnce(&mut Value)) -> std::path::PathBuf {
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(chat_spec()).unwrap()).unwrap();
    edit(&mut spec);
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&file, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    file
}

#[test]
fn every_command_has_help() {
    for command in ["validate", "export", "diff", "asyncapi", "codegen"] {
        let output = openws(&[command, "--help"]);
        assert_eq!(code(&output), 0, "{command} --help");
        assert!(stdout(&output).contains("Usage: openws"), "{command}");
    }
    assert_eq!(code(&openws(&["no-such-command"])), 2);
}

#[test]
fn validate_accepts_the_chat_spec() {
    let output = openws(&["validate", path(&chat_spec())]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("valid (OpenWS 0.0.2; network `chat`: 3 roles, 7 messages)"));

    let json = stdout_json(&openws(&["--json", "validate", path(&chat_spec())]));
    assert_eq!(json["valid"], true);
    assert_eq!(json["networks"]["chat"]["host"], "server");
    assert_eq!(
        json["networks"]["chat"]["roles"]["portal"],
        json!(["receivedRoomStats"])
    );
}

#[test]
fn validate_lists_every_problem_with_its_pointer() {
    let spec = edited_chat_spec("invalid.openws.json", |spec| {
        let server = &mut spec["networks"]["chat"]["roles"]["server"];
        server["messages"]["joinRoom"]["from"] = json!(["client", "admin"]);
        server["messages"]["createRoom"]["payload"]["type"] = json!("objekt");
    });
    let output = openws(&["validate", "--json", path(&spec)]);
    assert_eq!(code(&output), 1);
    let json = stdout_json(&output);
    assert_eq!(json["valid"], false);
    let pointers: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/networks/chat/roles/server/messages/createRoom/payload",
            "/networks/chat/roles/server/messages/joinRoom/from",
        ]
    );

    let text = stdout(&openws(&["validate", path(&spec)]));
    assert!(
        text.contains(
            "at /networks/chat/roles/server/messages/joinRoom/from: `admin` is not a role"
        ),
        "{text}"
    );
}

#[test]
fn unreadable_inputs_exit_2() {
    let output = openws(&["validate", "/no/such/spec.json"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("cannot read /no/such/spec.json"));

    let output = openws(&["--json", "validate", "https://example.test"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("plain HTTP"),
        "{}",
        stderr(&output)
    );

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let output = openws(&[
        "--json",
        "export",
        &format!("http://127.0.0.1:{closed_port}"),
    ]);
    assert_eq!(code(&output), 2);
    assert_eq!(stdout_json(&output)["error"]["kind"], "io");
}

#[test]
fn export_prints_the_served_spec_as_json_or_yaml() {
    let server = ChatServer::start();
    let output = openws(&["export", &server.http()]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("{\n  \"openws\": \"0.0.2\",\n  \"networks\""),
        "{text}"
    );
    let served = Document::from_json_str(&text).expect("a valid spec");
    let endpoints = served.networks["chat"].roles["server"]
        .endpoints
        .clone()
        .unwrap();
    assert_eq!(endpoints[0].path, "/chat");
    assert_eq!(endpoints[0].port, server.addr.port());

    let output = openws(&[
        "export",
        "--yaml",
        &format!("{}/openws/spec.json", server.http()),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let yaml: Value = serde_yaml_ng::from_slice(&output.stdout).expect("YAML");
    assert_eq!(Document::from_value(yaml).unwrap(), served);

    assert_eq!(
        code(&openws(&["--json", "export", "--yaml", &server.http()])),
        2
    );
}

#[test]
fn diff_exits_1_only_when_something_breaks() {
    let same = openws(&["diff", path(&chat_spec()), path(&chat_spec())]);
    assert_eq!(code(&same), 0);
    assert_eq!(stdout(&same), "no changes\n");

    let compatible = edited_chat_spec("compatible.openws.json", |spec| {
        spec["networks"]["chat"]["roles"]["server"]["messages"]["sendMessage"]["payload"]["properties"]
            ["replyToMessage"] = json!({"type": "string"});
    });
    let output = openws(&["diff", path(&chat_spec()), path(&compatible)]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    assert!(stdout(&output).contains("compatible              /networks/chat/roles/server/messages/sendMessage/payload/properties/replyToMessage: optional property `replyToMessage` added"));

    let breaking = edited_chat_spec("breaking.openws.json", |spec| {
        let server = &mut spec["networks"]["chat"]["roles"]["server"]["messages"];
        server["sendMessage"]["from"] = json!(["client"]);
        server.as_object_mut().unwrap().remove("joinRoom");
    });
    let output = openws(&["diff", "--json", path(&chat_spec()), path(&breaking)]);
    assert_eq!(code(&output), 1);
    let report = stdout_json(&output);
    assert_eq!(report["breaking"], true);
    assert_eq!(
        report["changes"],
        json!([
            {
                "pointer": "/networks/chat/roles/server/messages/joinRoom",
                "kind": "message_removed",
                "description": "message `joinRoom` (to `server`) removed",
                "senders": "breaking",
                "receivers": "compatible"
            },
            {
                "pointer": "/networks/chat/roles/server/messages/sendMessage/from",
                "kind": "sender_removed",
                "description": "`portal` may no longer send `sendMessage`",
                "senders": "breaking",
                "receivers": "compatible"
            }
        ])
    );
}

#[test]
fn asyncapi_has_a_channel_per_endpoint_and_operations_per_role() {
    let server = ChatServer::start();
    let output = openws(&["asyncapi", &server.http()]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let doc = stdout_json(&output);
    assert_eq!(doc["asyncapi"], "3.0.0");
    assert_eq!(doc["servers"]["chat-1"]["host"], format!("{}", server.addr));
    assert_eq!(doc["channels"]["chat"]["address"], "/chat");
    let operations = doc["operations"].as_object().unwrap();
    let client_ops: Vec<&str> = operations
        .iter()
        .filter(|(_, op)| op["x-openws-role"] == "client")
        .map(|(key, _)| key.as_str())
        .collect();
    assert_eq!(
        client_ops,
        [
            "chat.client.receive.joinedRoom",
            "chat.client.receive.receivedMessage",
            "chat.client.send.createRoom",
            "chat.client.send.joinRoom",
            "chat.client.send.sendMessage",
        ]
    );
    let message = &doc["components"]["messages"]["chat.server.requestRoomStats"];
    assert_eq!(message["x-openws-from"], json!(["portal"]));
    assert_eq!(message["payload"]["required"], json!(["roomId"]));
}

#[test]
fn codegen_refuses_roles_it_cannot_generate() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("codegen-refusals");
    let spec = chat_spec();
    let run = |args: &[&str]| {
        let mut all = vec!["codegen"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[path(&spec), "-o", path(&out)]);
        openws(&all)
    };
    let host = run(&["typescript", "--role", "server"]);
    assert_eq!(code(&host), 2);
    assert!(
        stderr(&host).contains(
            "`server` is the host role of `chat`; generate a client for `client`, `portal`"
        )
    );
    let unknown = run(&["typescript", "--role", "admin", "--network", "chat"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("no role `admin`"));
    let network = run(&["typescript", "--role", "client", "--network", "talk"]);
    assert_eq!(code(&network), 2);
    assert!(stderr(&network).contains("no network `talk`; it has `chat`"));
    let rust = run(&["rust", "--role", "server"]);
    assert_eq!(code(&rust), 2);
    assert!(stderr(&rust).contains("`server` is the host role"));
    assert!(
        !out.exists(),
        "nothing is written when generation is refused"
    );
}

#[test]
fn codegen_rust_writes_the_module_the_conformance_suite_runs() {
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("codegen-rust");
    let _ = std::fs::remove_dir_all(&out);
    let spec = chat_spec();
    let output = openws(&[
        "codegen",
        "rust",
        path(&spec),
        "--role",
        "client",
        "-o",
        path(&out),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).contains("chat_client.rs"));
    // The suite compiles this module and runs the chat flow with it on every adapter.
    let committed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openws-testkit/src/generated/chat_client.rs"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("chat_client.rs")).unwrap(),
        std::fs::read_to_string(committed).unwrap()
    );
}
