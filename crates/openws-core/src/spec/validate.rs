//! Validation of OpenWS documents: the official schema, then the rules it cannot express.

use std::fmt;
use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use super::{Document, HOST_MARKER};

/// The official OpenWS document schema, embedded at build time.
const OFFICIAL_SCHEMA: &str = include_str!("openws-spec-schema.json");

static OFFICIAL_VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(OFFICIAL_SCHEMA).expect("embedded schema is JSON");
    jsonschema::draft7::new(&schema).expect("embedded schema compiles")
});

/// One thing wrong with a spec, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A JSON pointer into the document, e.g. `/networks/chat/roles/server/messages/join`.
    pub location: String,
    /// What is wrong there.
    pub message: String,
}

/// A document or network that is not a valid OpenWS spec.
///
/// Every problem found is listed, each with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    /// What is wrong, in document order.
    pub problems: Vec<Problem>,
}

impl SpecError {
    pub(crate) fn at(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                location: location.into(),
                message: message.into(),
            }],
        }
    }

    pub(crate) fn json(error: serde_json::Error) -> Self {
        Self::at("", format!("not a readable OpenWS document: {error}"))
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid OpenWS spec")?;
        for problem in &self.problems {
            let location = if problem.location.is_empty() {
                "/"
            } else {
                &problem.location
            };
            write!(f, "\n  at {location}: {}", problem.message)?;
        }
        Ok(())
    }
}

/// Validates a JSON value against the official OpenWS schema.
pub(crate) fn check_official_schema(value: &Value) -> Result<(), SpecError> {
    let problems: Vec<Problem> = OFFICIAL_VALIDATOR
        .iter_errors(value)
        .map(|error| Problem {
            location: error.instance_path().to_string(),
            message: error.to_string(),
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SpecError { problems })
    }
}

/// Checks what the official schema cannot: `from` references, payload
/// schemas and host markers.
pub(crate) fn check_rules(document: &Document) -> Result<(), SpecError> {
    let mut problems = Vec::new();
    for (network_name, network) in &document.networks {
        let network_at = format!("/networks/{network_name}");
        let mut hosts = 0;
        for (role_name, role) in &network.roles {
            let role_at = format!("{network_at}/roles/{role_name}");
            match role.extensions.get(HOST_MARKER) {
                None | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => hosts += 1,
                Some(_) => problems.push(Problem {
                    location: format!("{role_at}/{HOST_MARKER}"),
                    message: format!("`{HOST_MARKER}` must be true or false"),
                }),
            }
            for (message_name, message) in &role.messages {
                let message_at = format!("{role_at}/messages/{message_name}");
                for sender in message.from.iter().flatten() {
                    if !network.roles.contains_key(sender) {
                        problems.push(Problem {
                            location: format!("{message_at}/from"),
                            message: format!(
                                "`{sender}` is not a role of network `{network_name}`"
                            ),
                        });
                    }
                }
                if let Err(error) = jsonschema::validator_for(&message.payload) {
                    problems.push(Problem {
                        location: format!("{message_at}/payload"),
                        message: format!("not a valid JSON Schema: {error}"),
                    });
                }
            }
        }
        if hosts > 1 {
            problems.push(Problem {
                location: network_at,
                message: format!("{hosts} roles are marked `{HOST_MARKER}`; at most one may be"),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SpecError { problems })
    }
}
