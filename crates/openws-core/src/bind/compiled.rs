//! The network as the runtime uses it: role ids, compiled validators and handlers.

use std::collections::HashMap;

use jsonschema::Validator;
use serde_json::{Value, json};

use super::handler::ErasedHandler;
use super::{BindError, MessageHandlers};
use crate::network::Network;
use crate::runtime::{ErrorCode, FrameError};

/// Index of a role in [`CompiledNetwork::roles`].
pub(crate) type RoleId = usize;

/// How many schema violations an `invalid_payload` error lists at most.
const MAX_REPORTED_VIOLATIONS: usize = 16;

/// A network compiled once at bind time.
pub(crate) struct CompiledNetwork {
    network: Network,
    host: RoleId,
    roles: Vec<CompiledRole>,
}

struct CompiledRole {
    name: String,
    /// Sorted by name: a role has few messages, and a binary search over
    /// them is cheaper per frame than hashing the name.
    messages: Vec<(String, CompiledMessage)>,
}

/// One message a role accepts, ready for the per-frame path.
pub(crate) struct CompiledMessage {
    validator: Validator,
    /// Roles allowed to send it; `None` allows every role.
    senders: Option<Vec<RoleId>>,
    /// The handler for senders without their own.
    any_sender: Option<ErasedHandler>,
    /// Sender-specific handlers.
    by_sender: Vec<(RoleId, ErasedHandler)>,
}

impl CompiledNetwork {
    /// Compiles every payload schema of every role, and attaches handlers to host messages.
    pub(crate) fn compile(
        network: Network,
        mut handlers: HashMap<String, MessageHandlers>,
    ) -> Result<Self, BindError> {
        let spec = network.spec();
        let role_id = |name: &str| spec.roles.get_index_of(name);
        let mut roles = Vec::with_capacity(spec.roles.len());
        for (role_name, role) in &spec.roles {
            let is_host = role_name == network.host_role();
            let mut messages = Vec::with_capacity(role.messages.len());
            for (message_name, message) in &role.messages {
                let validator = jsonschema::validator_for(&message.payload).map_err(|error| {
                    BindError::Schema {
                        role: role_name.clone(),
                        message: message_name.clone(),
                        reason: error.to_string(),
                    }
                })?;
                let senders = message
                    .from
                    .as_ref()
                    .map(|from| from.iter().filter_map(|r| role_id(r)).collect());
                let bound = if is_host {
                    handlers.remove(message_name).unwrap_or_default()
                } else {
                    MessageHandlers::default()
                };
                let by_sender = bound
                    .by_sender
                    .into_iter()
                    .filter_map(|(role, handler)| Some((role_id(&role)?, handler)))
                    .collect();
                messages.push((
                    message_name.clone(),
                    CompiledMessage {
                        validator,
                        senders,
                        any_sender: bound.any,
                        by_sender,
                    },
                ));
            }
            messages.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
            roles.push(CompiledRole {
                name: role_name.clone(),
                messages,
            });
        }
        let host = role_id(network.host_role()).expect("a network's host role is one of its roles");
        Ok(Self {
            network,
            host,
            roles,
        })
    }

    pub(crate) fn network(&self) -> &Network {
        &self.network
    }

    pub(crate) fn host_name(&self) -> &str {
        &self.roles[self.host].name
    }

    pub(crate) fn role_name(&self, role: RoleId) -> &str {
        &self.roles[role].name
    }

    /// The id of a role a connection may hold (any role but the host).
    pub(crate) fn remote_role(&self, name: &str) -> Option<RoleId> {
        self.roles
            .iter()
            .position(|role| role.name == name)
            .filter(|&id| id != self.host)
    }

    /// A message accepted by `role`.
    pub(crate) fn message(&self, role: RoleId, name: &str) -> Option<&CompiledMessage> {
        let messages = &self.roles[role].messages;
        let index = messages
            .binary_search_by(|(message, _)| message.as_str().cmp(name))
            .ok()?;
        Some(&messages[index].1)
    }

    /// A message accepted by the host role.
    pub(crate) fn host_message(&self, name: &str) -> Option<&CompiledMessage> {
        self.message(self.host, name)
    }
}

impl CompiledMessage {
    /// The handler for this message sent by `role`.
    pub(crate) fn handler(&self, role: RoleId) -> Option<&ErasedHandler> {
        self.by_sender
            .iter()
            .find(|(sender, _)| *sender == role)
            .map(|(_, handler)| handler)
            .or(self.any_sender.as_ref())
    }

    /// Whether a connection holding `role` may send this message.
    pub(crate) fn allows(&self, role: RoleId) -> bool {
        self.senders.as_ref().is_none_or(|s| s.contains(&role))
    }

    /// Validates a payload; the error lists the violations with their paths.
    pub(crate) fn check_payload(&self, payload: &Value) -> Result<(), FrameError> {
        if self.validator.is_valid(payload) {
            return Ok(());
        }
        let violations: Vec<Value> = self
            .validator
            .iter_errors(payload)
            .take(MAX_REPORTED_VIOLATIONS)
            .map(|error| json!({ "path": error.instance_path().as_str(), "message": error.to_string() }))
            .collect();
        let first = violations
            .first()
            .and_then(|v| v["message"].as_str())
            .unwrap_or("schema violation")
            .to_owned();
        Err(FrameError::new(ErrorCode::InvalidPayload, first).with_details(json!(violations)))
    }
}
