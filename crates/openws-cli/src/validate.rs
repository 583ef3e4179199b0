//! `openws validate`: the official schema and the semantic rules, every problem with its pointer.

use std::process::ExitCode;

use openws_core::Document;
use serde_json::json;

use crate::Format;
use crate::failure::{Failure, problems_json};
use crate::source::Source;

/// Validates the spec at `source`; exits 1 when it is invalid.
pub(crate) fn run(source: &Source, format: Format) -> Result<ExitCode, Failure> {
    match source.load() {
        Ok(document) => {
            match format {
                Format::Json => println!("{:#}", valid_json(&document)),
                Format::Text | Format::Yaml => println!("{source}: valid ({})", summary(&document)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure::Invalid { label, error }) => {
            match format {
                Format::Json => println!(
                    "{:#}",
                    json!({"valid": false, "problems": problems_json(&error)})
                ),
                Format::Text | Format::Yaml => println!("{label}: {error}"),
            }
            Ok(ExitCode::from(1))
        }
        Err(other) => Err(other),
    }
}

/// `OpenWS 0.0.2; network `chat`: 3 roles, 7 messages`.
fn summary(document: &Document) -> String {
    let networks: Vec<String> = document
        .networks
        .iter()
        .map(|(name, network)| {
            let messages: usize = network.roles.values().map(|r| r.messages.len()).sum();
            format!(
                "network `{name}`: {} roles, {messages} messages",
                network.roles.len()
            )
        })
        .collect();
    format!("OpenWS {}; {}", document.openws, networks.join("; "))
}

fn valid_json(document: &Document) -> serde_json::Value {
    let networks: serde_json::Map<String, serde_json::Value> = document
        .networks
        .iter()
        .map(|(name, network)| {
            let roles: serde_json::Map<String, serde_json::Value> = network
                .roles
                .iter()
                .map(|(role, spec)| {
                    (
                        role.clone(),
                        json!(spec.messages.keys().collect::<Vec<_>>()),
                    )
                })
                .collect();
            (
                name.clone(),
                json!({"host": network.host_role(), "roles": roles}),
            )
        })
        .collect();
    json!({"valid": true, "openws": document.openws, "networks": networks})
}
