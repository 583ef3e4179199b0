//! The OpenWS document model: what a spec file says, as plain serde types.
//!
//! These types round-trip any valid OpenWS document: fields this crate does not
//! know (such as `x-` extensions) are kept in each level's `extensions` map and
//! written back unchanged.

mod validate;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use validate::{Problem, SpecError};

/// The OpenWS version this crate emits.
pub const OPENWS_VERSION: &str = "0.0.2";

/// The extension field that marks the role a network's host implements.
pub const HOST_MARKER: &str = "x-host";

/// The field the JS tooling of OpenWS (its spec builder and SDK generator)
/// reads an object's name from: the document's, and each network's, role's
/// and message's, where the official schema has the name only as a map key.
/// See [`Document::fill_names`].
pub const NAME_FIELD: &str = "name";

/// A whole OpenWS document: one or more networks.
///
/// ```
/// use openws_core::spec::Document;
///
/// let doc = Document::from_json_str(r#"{
///     "openws": "0.0.2",
///     "networks": { "echo": { "roles": {
///         "server": { "x-host": true, "messages": { "ping": { "payload": {"type": "object"}, "from": ["client"] } } },
///         "client": { "messages": { "pong": { "payload": {"type": "object"} } } }
///     } } }
/// }"#).unwrap();
/// assert_eq!(doc.networks["echo"].host_role(), Some("server"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The OpenWS schema version (`0.0.1` or `0.0.2`).
    pub openws: String,
    /// A title for the overall system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the system as a whole does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The version of the described system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The networks, by name.
    pub networks: IndexMap<String, NetworkSpec>,
    /// Fields this crate does not model, kept as they were.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// A network: roles that exchange messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// What the network is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The roles, by name.
    pub roles: IndexMap<String, RoleSpec>,
    /// Fields this crate does not model, kept as they were.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// A role: a participant of a network and the messages it accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleSpec {
    /// What the role is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the role accepts connections (normally only a server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<Endpoint>>,
    /// The messages this role accepts, by name.
    pub messages: IndexMap<String, MessageSpec>,
    /// Fields this crate does not model (such as [`HOST_MARKER`]), kept as they were.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// A message a role accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageSpec {
    /// The JSON Schema of the payload.
    pub payload: Value,
    /// What the message means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The roles that may send it; `None` lets every other role send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<String>>,
    /// Fields this crate does not model, kept as they were.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

/// An address at which a role accepts connections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// HTTP path of the WebSocket route.
    pub path: String,
    /// `ws`, or `wss` when served over TLS (not in the official schema, which
    /// allows it; the JS tooling of OpenWS reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Fields this crate does not model, kept as they were.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

impl Document {
    /// An empty document of the current OpenWS version.
    pub fn new() -> Self {
        Self {
            openws: OPENWS_VERSION.to_owned(),
            title: None,
            description: None,
            version: None,
            networks: IndexMap::new(),
            extensions: BTreeMap::new(),
        }
    }

    /// Parses a document from JSON text and validates it (see [`Document::validate`]).
    /// Networks, roles and messages keep the order of the text.
    pub fn from_json_str(json: &str) -> Result<Self, SpecError> {
        let value: Value = serde_json::from_str(json).map_err(SpecError::json)?;
        validate::check_official_schema(&value)?;
        let document: Self = serde_json::from_str(json).map_err(SpecError::json)?;
        validate::check_rules(&document)?;
        Ok(document)
    }

    /// Reads, parses and validates a document file.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            SpecError::at("", format!("cannot read {}: {error}", path.display()))
        })?;
        Self::from_json_str(&text)
    }

    /// Validates a JSON value as an OpenWS document and converts it.
    ///
    /// Names come in the order of the value's maps (sorted, unless
    /// `serde_json`'s `preserve_order` feature is on); prefer
    /// [`Document::from_json_str`] to keep a file's order.
    pub fn from_value(value: Value) -> Result<Self, SpecError> {
        validate::check_official_schema(&value)?;
        let document: Self = serde_json::from_value(value).map_err(SpecError::json)?;
        document.validate()?;
        Ok(document)
    }

    /// Checks the rules the official schema cannot express: every `from`
    /// names a role of its network, every payload is a valid JSON Schema, and
    /// at most one role per network is marked as host.
    pub fn validate(&self) -> Result<(), SpecError> {
        let value = serde_json::to_value(self).map_err(SpecError::json)?;
        validate::check_official_schema(&value)?;
        validate::check_rules(self)
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a document always serializes")
    }

    /// Writes a [`name`](NAME_FIELD) into the document (its first network's
    /// name), each network, role and message (its key), wherever none is set,
    /// as the JS tooling of OpenWS expects. The official schema allows the
    /// extra fields. Served and exported specs carry them.
    ///
    /// ```
    /// use openws_core::spec::{Document, NetworkSpec};
    ///
    /// let mut document = Document::new();
    /// document.networks.insert("chat".into(), NetworkSpec::default());
    /// document.fill_names();
    /// assert_eq!(document.to_value()["name"], "chat");
    /// assert_eq!(document.to_value()["networks"]["chat"]["name"], "chat");
    /// ```
    pub fn fill_names(&mut self) {
        for (name, network) in &mut self.networks {
            network.fill_names(name);
        }
        if let Some(first) = self.networks.keys().next() {
            name_if_unnamed(&mut self.extensions, first);
        }
    }
}

/// Sets `extensions[name]` to `name` unless a name is already there.
fn name_if_unnamed(extensions: &mut BTreeMap<String, Value>, name: &str) {
    extensions
        .entry(NAME_FIELD.to_owned())
        .or_insert_with(|| Value::String(name.to_owned()));
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}

impl NetworkSpec {
    /// Writes a [`name`](NAME_FIELD) into this network (`network`), each of
    /// its roles and each of their messages (their keys), wherever none is set.
    pub fn fill_names(&mut self, network: &str) {
        name_if_unnamed(&mut self.extensions, network);
        for (role_name, role) in &mut self.roles {
            name_if_unnamed(&mut role.extensions, role_name);
            for (message_name, message) in &mut role.messages {
                name_if_unnamed(&mut message.extensions, message_name);
            }
        }
    }

    /// The name of the role marked as host (`"x-host": true`), if any.
    pub fn host_role(&self) -> Option<&str> {
        self.roles
            .iter()
            .find(|(_, role)| role.is_host())
            .map(|(name, _)| name.as_str())
    }
}

impl RoleSpec {
    /// Whether this role is marked as the one the host implements.
    pub fn is_host(&self) -> bool {
        self.extensions.get(HOST_MARKER) == Some(&Value::Bool(true))
    }
}

impl MessageSpec {
    /// A message with the given payload schema, open to every sender.
    pub fn new(payload: Value) -> Self {
        Self {
            payload,
            description: None,
            from: None,
            extensions: BTreeMap::new(),
        }
    }

    /// Whether `role` may send this message.
    pub fn allows(&self, role: &str) -> bool {
        self.from
            .as_ref()
            .is_none_or(|from| from.iter().any(|r| r == role))
    }
}
