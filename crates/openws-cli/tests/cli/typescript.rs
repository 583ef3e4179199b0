//! The generated TypeScript client: `tsc --strict` accepts it, it runs the chat flow in
//! Node against a real chat server, and it refuses at compile time what a role may not do.

use std::path::Path;

use crate::support::{
    ChatServer, PORTAL_TOKEN, chat_spec, code, copy_fixture, node, openws, scratch, stderr, stdout,
    tsc,
};

/// Generates the client and portal modules from `spec` into `dir/generated`.
fn generate(spec: &str, dir: &Path) {
    let out = dir.join("generated");
    for role in ["client", "portal"] {
        let output = openws(&[
            "codegen",
            "typescript",
            spec,
            "-o",
            out.to_str().unwrap(),
            "--role",
            role,
        ]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
    }
}

#[test]
fn the_generated_chat_client_compiles_strict_and_runs_the_chat_flow() {
    let server = ChatServer::start();
    let dir = scratch("ts-chat-flow");
    // From the running server's spec, as a frontend team would.
    generate(&server.http(), &dir);
    copy_fixture("chat-flow.ts", &dir);
    let compiled = tsc(&dir);
    assert_eq!(code(&compiled), 0, "tsc:\n{}", stdout(&compiled));

    let run = node(
        &dir,
        &["out/chat-flow.js", &server.chat_url(), PORTAL_TOKEN],
    );
    assert_eq!(
        code(&run),
        0,
        "chat flow failed:\n{}{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(stdout(&run).contains("chat flow: ok"));
}

#[test]
fn using_a_message_the_role_may_not_use_does_not_compile() {
    let dir = scratch("ts-forbidden");
    generate(chat_spec().to_str().unwrap(), &dir);
    copy_fixture("forbidden-send.ts", &dir);
    let compiled = tsc(&dir);
    assert_ne!(code(&compiled), 0, "tsc accepted forbidden-send.ts");

    let source = std::fs::read_to_string(dir.join("forbidden-send.ts")).unwrap();
    let expected: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("// expect-error"))
        .map(|(index, _)| index + 1)
        .collect();
    assert_eq!(expected.len(), 5);
    let reported: Vec<usize> = stdout(&compiled)
        .lines()
        .filter_map(|line| line.strip_prefix("forbidden-send.ts("))
        .filter_map(|rest| rest.split(',').next()?.parse().ok())
        .collect();
    assert_eq!(reported, expected, "tsc said:\n{}", stdout(&compiled));
}
