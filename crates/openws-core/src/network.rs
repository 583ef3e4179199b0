//! A validated network with a host role, and the builder that declares one in Rust.

use schemars::JsonSchema;
use serde_json::Value;

use crate::spec::{Document, HOST_MARKER, MessageSpec, NetworkSpec, RoleSpec, SpecError};

/// A valid OpenWS network that names the role this process implements (its host role).
///
/// Build one in Rust with [`Network::builder`], or take it from a document with
/// [`Network::from_document`].
///
/// ```
/// use openws_core::{Message, Network, Role};
/// use serde_json::json;
///
/// let network = Network::builder("echo")
///     .role(Role::host("server").message(
///         Message::new("ping").payload_schema(json!({"type": "object"})).from(["client"]),
///     ))
///     .role(Role::new("client").message(Message::new("pong").payload_schema(json!({"type": "object"}))))
///     .build()?;
/// assert_eq!(network.host_role(), "server");
/// # Ok::<(), openws_core::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    name: String,
    spec: NetworkSpec,
    host_role: String,
}

impl Network {
    /// Starts declaring a network called `name`.
    pub fn builder(name: impl Into<String>) -> NetworkBuilder {
        NetworkBuilder {
            name: name.into(),
            spec: NetworkSpec::default(),
        }
    }

    /// Validates `spec` as the network `name`; exactly one role must be marked host.
    pub fn from_spec(name: impl Into<String>, spec: NetworkSpec) -> Result<Self, SpecError> {
        let name = name.into();
        let mut document = Document::new();
        document.networks.insert(name.clone(), spec);
        document.validate()?;
        let mut spec = document
            .networks
            .swap_remove(&name)
            .expect("inserted above");
        spec.fill_names(&name);
        let host_role = spec.host_role().map(str::to_owned).ok_or_else(|| {
            SpecError::at(
                format!("/networks/{name}/roles"),
                format!(
                    "no role is marked `{HOST_MARKER}: true`; mark the role this server implements"
                ),
            )
        })?;
        Ok(Self {
            name,
            spec,
            host_role,
        })
    }

    /// Takes the network `name` out of a document; the role marked
    /// `"x-host": true` is the one this process implements.
    pub fn from_document(document: &Document, name: &str) -> Result<Self, SpecError> {
        Self::from_spec(name, Self::spec_in(document, name)?)
    }

    /// Takes the network `name` out of a document, implementing role `host`
    /// whatever the document marks (specs written for other tools often mark none).
    ///
    /// ```
    /// use openws_core::{Document, Network};
    ///
    /// let document = Document::from_json_str(r#"{"openws": "0.0.2", "networks": {"echo": {"roles": {
    ///     "server": {"messages": {"ping": {"payload": {"type": "object"}, "from": ["client"]}}},
    ///     "client": {"messages": {"pong": {"payload": {"type": "object"}}}}
    /// }}}}"#)?;
    /// let network = Network::from_document_as(&document, "echo", "server")?;
    /// assert_eq!(network.host_role(), "server");
    /// # Ok::<(), openws_core::SpecError>(())
    /// ```
    pub fn from_document_as(
        document: &Document,
        name: &str,
        host: &str,
    ) -> Result<Self, SpecError> {
        let mut spec = Self::spec_in(document, name)?;
        if !spec.roles.contains_key(host) {
            return Err(SpecError::at(
                format!("/networks/{name}/roles"),
                format!("network `{name}` has no role `{host}`"),
            ));
        }
        for (role_name, role) in &mut spec.roles {
            role.extensions.remove(HOST_MARKER);
            if role_name == host {
                role.extensions
                    .insert(HOST_MARKER.to_owned(), Value::Bool(true));
            }
        }
        Self::from_spec(name, spec)
    }

    fn spec_in(document: &Document, name: &str) -> Result<NetworkSpec, SpecError> {
        document.networks.get(name).cloned().ok_or_else(|| {
            SpecError::at("/networks", format!("the document has no network `{name}`"))
        })
    }

    /// The network's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The network's spec.
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    /// The role this process implements.
    pub fn host_role(&self) -> &str {
        &self.host_role
    }

    /// The roles other than the host role: those a connection can hold.
    pub fn remote_roles(&self) -> impl Iterator<Item = &str> {
        self.spec
            .roles
            .keys()
            .map(String::as_str)
            .filter(|name| *name != self.host_role)
    }

    /// A document holding just this network, named after it.
    pub fn to_document(&self) -> Document {
        let mut document = Document::new();
        document
            .networks
            .insert(self.name.clone(), self.spec.clone());
        document.fill_names();
        document
    }
}

/// Declares a [`Network`] role by role; see [`Network::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct NetworkBuilder {
    name: String,
    spec: NetworkSpec,
}

impl NetworkBuilder {
    /// Describes the network.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.spec.description = Some(description.into());
        self
    }

    /// Adds a role; a second role of the same name replaces the first.
    pub fn role(mut self, role: Role) -> Self {
        self.spec.roles.insert(role.name, role.spec);
        self
    }

    /// Validates the network; exactly one role must be [`Role::host`].
    pub fn build(self) -> Result<Network, SpecError> {
        Network::from_spec(self.name, self.spec)
    }
}

/// Declares a role of a network: its name and the messages it accepts.
#[derive(Debug, Clone)]
#[must_use]
pub struct Role {
    name: String,
    spec: RoleSpec,
}

impl Role {
    /// A remote role: a kind of peer that connects to this host.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            spec: RoleSpec::default(),
        }
    }

    /// The role this process implements; its messages are the ones handlers answer.
    pub fn host(name: impl Into<String>) -> Self {
        let mut role = Self::new(name);
        role.spec
            .extensions
            .insert(HOST_MARKER.to_owned(), Value::Bool(true));
        role
    }

    /// Describes the role.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.spec.description = Some(description.into());
        self
    }

    /// Adds a message this role accepts.
    pub fn message(mut self, message: Message) -> Self {
        self.spec.messages.insert(message.name, message.spec);
        self
    }
}

/// Declares a message: its name, payload schema and allowed senders.
#[derive(Debug, Clone)]
#[must_use]
pub struct Message {
    name: String,
    spec: MessageSpec,
}

impl Message {
    /// A message that accepts any JSON object until a payload schema is set.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            spec: MessageSpec::new(serde_json::json!({ "type": "object" })),
        }
    }

    /// Uses the JSON Schema that `schemars` derives for `T` (draft-07, as the
    /// OpenWS tooling reads it).
    pub fn payload<T: JsonSchema>(self) -> Self {
        self.payload_schema(schema_for::<T>())
    }

    /// Uses a hand-written JSON Schema.
    pub fn payload_schema(mut self, schema: Value) -> Self {
        self.spec.payload = schema;
        self
    }

    /// Describes the message.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.spec.description = Some(description.into());
        self
    }

    /// Restricts who may send the message to these roles.
    pub fn from<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.spec.from = Some(roles.into_iter().map(Into::into).collect());
        self
    }
}

/// The draft-07 JSON Schema of `T`, without the `$schema` header (a payload
/// schema is embedded in a document, not a document of its own).
pub fn schema_for<T: JsonSchema>() -> Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Value::Object(map) = &mut value {
        map.remove("$schema");
    }
    value
}
