//! The contract of a network as the runtime enforces it: role ids, compiled
//! payload validators and `from` lists. Peers and the hub hold it; handlers live
//! elsewhere (see [`Router`](crate::handler::Router)), so a stored peer never
//! keeps the application state alive.

use jsonschema::Validator;
use serde_json::{Value, json};

use crate::network::Network;
use crate::runtime::{ErrorCode, FrameError};

/// Index of a role in the network's role list.
pub(crate) type RoleId = usize;

/// How many schema violations an `invalid_payload` error lists at most.
const MAX_REPORTED_VIOLATIONS: usize = 16;

/// A network's roles and messages, with every payload schema compiled once.
pub(crate) struct Contract {
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
}

/// A schema that does not compile: the role, the message and the compiler's reason.
pub(crate) struct SchemaError {
    pub(crate) role: String,
    pub(crate) message: String,
    pub(crate) reason: String,
}

impl Contract {
    /// Compiles every payload schema of every role.
    pub(crate) fn compile(network: Network) -> Result<Self, SchemaError> {
        let spec = network.spec();
        let role_id = |name: &str| spec.roles.get_index_of(name);
        let mut roles = Vec::with_capacity(spec.roles.len());
        for (role_name, role) in &spec.roles {
            let mut messages = Vec::with_capacity(role.messages.len());
            for (message_name, message) in &role.messages {
                let validator =
                    jsonschema::validator_for(&message.payload).map_err(|error| SchemaError {
                        role: role_name.clone(),
                        message: message_name.clone(),
                        reason: error.to_string(),
                    })?;
                let senders = message
                    .from
                    .as_ref()
                    .map(|from| from.iter().filter_map(|r| role_id(r)).collect());
                messages.push((message_name.clone(), CompiledMessage { validator, senders }));
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

    /// Every role's id, the host's included.
    pub(crate) fn role_ids(&self) -> std::ops::Range<RoleId> {
        0..self.roles.len()
    }

    /// The id of any role, the host's included.
    pub(crate) fn role(&self, name: &str) -> Option<RoleId> {
        self.roles.iter().position(|role| role.name == name)
    }

    /// The id of a role a connection may hold (any role but the host).
    pub(crate) fn remote_role(&self, name: &str) -> Option<RoleId> {
        self.role(name).filter(|&id| id != self.host)
    }

    /// The position of a message accepted by `role`, for [`Contract::message_at`].
    pub(crate) fn message_index(&self, role: RoleId, name: &str) -> Option<usize> {
        self.roles[role]
            .messages
            .binary_search_by(|(message, _)| message.as_str().cmp(name))
            .ok()
    }

    /// The message at `index` of `role`'s sorted list.
    pub(crate) fn message_at(&self, role: RoleId, index: usize) -> &CompiledMessage {
        &self.roles[role].messages[index].1
    }

    /// The name of the message at `index` of `role`'s sorted list.
    pub(crate) fn message_name(&self, role: RoleId, index: usize) -> &str {
        &self.roles[role].messages[index].0
    }

    /// The names of `role`'s messages, in the order of [`Contract::message_index`].
    pub(crate) fn message_names(&self, role: RoleId) -> impl Iterator<Item = &str> {
        self.roles[role]
            .messages
            .iter()
            .map(|(name, _)| name.as_str())
    }

    /// A message accepted by `role`.
    pub(crate) fn message(&self, role: RoleId, name: &str) -> Option<&CompiledMessage> {
        Some(self.message_at(role, self.message_index(role, name)?))
    }

    /// The host role's id.
    pub(crate) fn host(&self) -> RoleId {
        self.host
    }
}

impl CompiledMessage {
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
