//! Generates a typed Rust client for one role of a network from its OpenWS spec.
//!
//! [`rust`] turns a document into the source of a Rust module: a struct (or
//! enum) per payload schema, a `Received` enum of the messages the role
//! receives, and a client struct with a `send_*` and a `request_*` method per
//! message the role may send. A role cannot send what its methods do not
//! offer, and what it receives is decoded into `Received`. The
//! `openws codegen rust` command writes this module to a file.
//!
//! ```
//! use openws_core::spec::Document;
//!
//! let spec = Document::from_json_str(r#"{
//!     "openws": "0.0.2",
//!     "networks": { "echo": { "roles": {
//!         "server": { "x-host": true, "messages": { "ping": {
//!             "payload": { "type": "object", "properties": { "n": { "type": "integer" } }, "required": ["n"] },
//!             "from": ["client"] } } },
//!         "client": { "messages": { "pong": {
//!             "payload": { "type": "object", "properties": { "n": { "type": "integer" } }, "required": ["n"] } } } }
//!     } } }
//! }"#)?;
//! let source = openws_client::codegen::rust(&spec, "echo", "client")?;
//! assert!(source.contains("pub struct Ping {"));
//! assert!(source.contains("pub async fn send_ping(&self, payload: &Ping)"));
//! assert!(source.contains("pub enum Received {"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The module uses the crates `openws-client`, `serde` (with `derive`) and
//! `serde_json`; include it with `mod chat_client;` or `include!`.

mod client;
mod names;
mod types;

use std::fmt::Write;

use openws_core::spec::{Document, MessageSpec, NetworkSpec};

/// Why a client cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodegenError {
    /// The document has no network of that name.
    #[error("the document has no network `{network}` (it has: {available})")]
    UnknownNetwork {
        /// The network asked for.
        network: String,
        /// The networks the document has, comma-separated.
        available: String,
    },
    /// The network has no role of that name.
    #[error("network `{network}` has no role `{role}` (it has: {available})")]
    UnknownRole {
        /// The network.
        network: String,
        /// The role asked for.
        role: String,
        /// The network's roles, comma-separated.
        available: String,
    },
    /// No role of the network is marked `"x-host": true`, so it is unknown
    /// which role a client connects to.
    #[error("network `{0}` marks no role as host (`\"x-host\": true`)")]
    NoHost(String),
    /// The role asked for is the host role: a client connects to it, it is not one.
    #[error(
        "`{role}` is the host role of network `{network}`; generate a client for a remote role"
    )]
    HostRole {
        /// The network.
        network: String,
        /// The role.
        role: String,
    },
}

/// The source of a Rust module with a typed client for `role` of `network`.
pub fn rust(document: &Document, network: &str, role: &str) -> Result<String, CodegenError> {
    let spec = document
        .networks
        .get(network)
        .ok_or_else(|| CodegenError::UnknownNetwork {
            network: network.to_owned(),
            available: list(document.networks.keys()),
        })?;
    let role_spec = spec
        .roles
        .get(role)
        .ok_or_else(|| CodegenError::UnknownRole {
            network: network.to_owned(),
            role: role.to_owned(),
            available: list(spec.roles.keys()),
        })?;
    let host = spec
        .host_role()
        .ok_or_else(|| CodegenError::NoHost(network.to_owned()))?;
    if host == role {
        return Err(CodegenError::HostRole {
            network: network.to_owned(),
            role: role.to_owned(),
        });
    }
    let plan = client::Plan {
        network,
        network_description: spec.description.as_deref(),
        role,
        role_description: role_spec.description.as_deref(),
        sends: sendable(spec, host, role),
        receives: role_spec
            .messages
            .iter()
            .filter(|(_, message)| message.allows(host))
            .map(|(name, message)| (name.as_str(), message))
            .collect(),
    };
    Ok(client::module(&plan))
}

/// A Rust module name for the client of `role` in `network`, such as `chat_client`
/// (the CLI writes the module to `<name>.rs`).
pub fn module_name(network: &str, role: &str) -> String {
    names::snake_case(&format!("{network} {role}"), "client")
        .trim_start_matches("r#")
        .to_owned()
}

/// The host's messages that `role` may send, in the spec's order.
fn sendable<'a>(spec: &'a NetworkSpec, host: &str, role: &str) -> Vec<(&'a str, &'a MessageSpec)> {
    spec.roles[host]
        .messages
        .iter()
        .filter(|(_, message)| message.allows(role))
        .map(|(name, message)| (name.as_str(), message))
        .collect()
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    names.map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// Writes `text` as `///` lines. Leading indentation is dropped and code
/// fences are marked `text`, so no description becomes a doctest.
fn write_doc(out: &mut String, indent: &str, text: &str) {
    let mut in_fence = false;
    for line in text.trim().lines() {
        let line = line.trim_start();
        if line.starts_with("```") {
            in_fence = !in_fence;
            let line = if in_fence { "```text" } else { "```" };
            writeln!(out, "{indent}/// {line}").unwrap();
        } else if line.is_empty() {
            writeln!(out, "{indent}///").unwrap();
        } else {
            writeln!(out, "{indent}/// {line}").unwrap();
        }
    }
    if in_fence {
        writeln!(out, "{indent}/// ```").unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Document {
        Document::from_json_str(
            r#"{"openws": "0.0.2", "networks": {"n": {"roles": {
                "server": {"x-host": true, "messages": {
                    "a": {"payload": {"type": "object"}, "from": ["user"]},
                    "b": {"payload": {"type": "object"}, "from": ["admin"]},
                    "c": {"payload": {"type": "object"}}
                }},
                "user": {"messages": {}},
                "admin": {"messages": {}}
            }}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn refuses_what_is_not_a_client_role() {
        let spec = spec();
        assert!(matches!(
            rust(&spec, "m", "user"),
            Err(CodegenError::UnknownNetwork { .. })
        ));
        assert!(matches!(
            rust(&spec, "n", "guest"),
            Err(CodegenError::UnknownRole { available, .. }) if available == "server, user, admin"
        ));
        assert!(matches!(
            rust(&spec, "n", "server"),
            Err(CodegenError::HostRole { .. })
        ));
    }

    #[test]
    fn offers_only_what_the_role_may_send() {
        let source = rust(&spec(), "n", "user").unwrap();
        assert!(source.contains("fn send_a("));
        assert!(!source.contains("fn send_b("));
        assert!(
            source.contains("fn send_c("),
            "no `from` list: anyone sends it"
        );
    }

    #[test]
    fn names_modules_in_snake_case() {
        assert_eq!(module_name("chat", "client"), "chat_client");
        assert_eq!(
            module_name("liveScores", "TV-screen"),
            "live_scores_tv_screen"
        );
    }

    #[test]
    fn docs_never_become_doctests() {
        let mut out = String::new();
        write_doc(
            &mut out,
            "",
            "Example:\n```\nlet x = 1;\n```\n    indented code",
        );
        assert_eq!(
            out,
            "/// Example:\n/// ```text\n/// let x = 1;\n/// ```\n/// indented code\n"
        );
    }
}
