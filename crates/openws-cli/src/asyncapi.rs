//! `openws asyncapi`: the networks of a spec as one AsyncAPI 3.0 document.
//!
//! - each endpoint `{host, port}` of a network's host role is a server
//!   (protocol `ws`, or the endpoint's `scheme`);
//! - each endpoint path of a network is a channel (a network without
//!   endpoints gets one channel whose address is unknown);
//! - each message `m` accepted by role `r` is a component message
//!   `<network>.<r>.<m>` whose payload is the message's JSON Schema
//!   (local `definitions` / `$defs` move to `components.schemas`);
//! - each role gets a `receive` operation per message it accepts and a
//!   `send` operation per message of another role whose `from` allows it
//!   (over the connections it has: to the host, or to everyone when the
//!   network has no host), keyed `<network>.<role>.<send|receive>.<message>`
//!   and tagged with the role.

use std::process::ExitCode;

use indexmap::IndexMap;
use openws_core::spec::{Document, NetworkSpec};
use serde::Serialize;
use serde_json::Value;

use crate::Format;
use crate::failure::Failure;
use crate::source::{Source, print_document};

/// The AsyncAPI version emitted.
const ASYNCAPI_VERSION: &str = "3.0.0";

/// `openws asyncapi spec`: prints the AsyncAPI document.
pub(crate) fn run(source: &Source, format: Format) -> Result<ExitCode, Failure> {
    let document = source.load()?;
    print_document(&convert(&document), format)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
pub(crate) struct AsyncApi {
    asyncapi: &'static str,
    info: Info,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    servers: IndexMap<String, Server>,
    channels: IndexMap<String, Channel>,
    operations: IndexMap<String, Operation>,
    components: Components,
}

#[derive(Debug, Serialize)]
struct Info {
    title: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize)]
struct Server {
    host: String,
    protocol: String,
    description: String,
}

#[derive(Debug, Serialize)]
struct Channel {
    /// The HTTP path of the WebSocket route; `None` when the spec names none.
    address: Option<String>,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    servers: Vec<Reference>,
    messages: IndexMap<String, Reference>,
}

#[derive(Debug, Serialize)]
struct Operation {
    action: Action,
    channel: Reference,
    messages: Vec<Reference>,
    summary: String,
    tags: Vec<Tag>,
    #[serde(rename = "x-openws-role")]
    role: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Send,
    Receive,
}

#[derive(Debug, Serialize)]
struct Tag {
    name: String,
}

#[derive(Debug, Default, Serialize)]
struct Components {
    messages: IndexMap<String, Message>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    schemas: IndexMap<String, Value>,
}

#[derive(Debug, Serialize)]
struct Message {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "contentType")]
    content_type: &'static str,
    payload: Value,
    /// The role that accepts the message.
    #[serde(rename = "x-openws-to")]
    to: String,
    /// The roles that may send it; absent when every other role may.
    #[serde(rename = "x-openws-from", skip_serializing_if = "Option::is_none")]
    from: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
struct Reference {
    #[serde(rename = "$ref")]
    target: String,
}

impl Reference {
    fn to(target: String) -> Self {
        Self { target }
    }
}

/// The AsyncAPI 3.0 document of every network of `document`.
pub(crate) fn convert(document: &Document) -> AsyncApi {
    let mut out = AsyncApi {
        asyncapi: ASYNCAPI_VERSION,
        info: info(document),
        servers: IndexMap::new(),
        channels: IndexMap::new(),
        operations: IndexMap::new(),
        components: Components::default(),
    };
    for (name, network) in &document.networks {
        add_network(&mut out, name, network);
    }
    out
}

fn info(document: &Document) -> Info {
    let names: Vec<&str> = document.networks.keys().map(String::as_str).collect();
    let only_network = match document.networks.values().collect::<Vec<_>>().as_slice() {
        [network] => network.description.clone(),
        _ => None,
    };
    Info {
        title: document
            .title
            .clone()
            .unwrap_or_else(|| format!("OpenWS: {}", names.join(", "))),
        version: document
            .version
            .clone()
            .unwrap_or_else(|| "unversioned".to_owned()),
        description: document.description.clone().or(only_network),
    }
}

fn add_network(out: &mut AsyncApi, network_name: &str, network: &NetworkSpec) {
    // Component messages, keyed `<network>.<role>.<message>`.
    let mut message_ids = Vec::new();
    for (role_name, role) in &network.roles {
        for (message_name, message) in &role.messages {
            let id = format!("{role_name}.{message_name}");
            let key = format!("{network_name}.{id}");
            let payload = hoist_definitions(&message.payload, &key, &mut out.components.schemas);
            let title = message.payload.get("title").and_then(Value::as_str);
            out.components.messages.insert(
                key.clone(),
                Message {
                    name: message_name.clone(),
                    title: title.map(str::to_owned),
                    description: message.description.clone().or_else(|| {
                        let text = message.payload.get("description")?.as_str()?;
                        Some(text.to_owned())
                    }),
                    content_type: "application/json",
                    payload,
                    to: role_name.clone(),
                    from: message.from.clone(),
                },
            );
            message_ids.push((id, key));
        }
    }
    // Servers per host:port, channels per path.
    let endpoints = network
        .host_role()
        .and_then(|host| network.roles[host].endpoints.clone())
        .unwrap_or_default();
    let mut servers: IndexMap<(String, String), String> = IndexMap::new();
    let mut paths: IndexMap<Option<String>, Vec<Reference>> = IndexMap::new();
    for endpoint in &endpoints {
        let protocol = endpoint
            .extensions
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("ws")
            .to_owned();
        let host = format!("{}:{}", endpoint.host, endpoint.port);
        let next = servers.len() + 1;
        let key = servers
            .entry((host.clone(), protocol.clone()))
            .or_insert_with(|| {
                let key = format!("{network_name}-{next}");
                let description = format!("Serves the `{network_name}` network");
                out.servers.insert(
                    key.clone(),
                    Server {
                        host,
                        protocol,
                        description,
                    },
                );
                key
            });
        let on = paths.entry(Some(endpoint.path.clone())).or_default();
        on.push(Reference::to(format!("#/servers/{key}")));
    }
    if paths.is_empty() {
        paths.insert(None, Vec::new());
    }
    let single = paths.len() == 1;
    for (index, (address, servers)) in paths.into_iter().enumerate() {
        let channel = if single {
            network_name.to_owned()
        } else {
            format!("{network_name}-{}", index + 1)
        };
        out.channels.insert(
            channel.clone(),
            Channel {
                address,
                title: format!("The `{network_name}` network"),
                description: network.description.clone(),
                servers,
                messages: message_ids
                    .iter()
                    .map(|(id, key)| {
                        (
                            id.clone(),
                            Reference::to(format!("#/components/messages/{key}")),
                        )
                    })
                    .collect(),
            },
        );
        add_operations(out, network, &channel);
    }
}

/// A `receive` operation per message a role accepts, a `send` per message it may send.
///
/// With a host role, every connection runs between the host and one other role: the
/// host exchanges every role's messages, another role only the host's and its own.
fn add_operations(out: &mut AsyncApi, network: &NetworkSpec, channel: &str) {
    let host = network.host_role();
    let talks = |a: &str, b: &str| host.is_none_or(|host| a == host || b == host);
    for (role_name, role) in &network.roles {
        let mut add = |action: Action, receiver: &str, message: &str| {
            let verb = match action {
                Action::Send => "send",
                Action::Receive => "receive",
            };
            let key = format!("{channel}.{role_name}.{verb}.{message}");
            out.operations.insert(
                key,
                Operation {
                    action,
                    channel: Reference::to(format!("#/channels/{channel}")),
                    messages: vec![Reference::to(format!(
                        "#/channels/{channel}/messages/{receiver}.{message}"
                    ))],
                    summary: match action {
                        Action::Send => format!("`{role_name}` sends `{message}` to `{receiver}`"),
                        Action::Receive => format!("`{role_name}` receives `{message}`"),
                    },
                    tags: vec![Tag {
                        name: format!("role:{role_name}"),
                    }],
                    role: role_name.clone(),
                },
            );
        };
        for (message, spec) in &role.messages {
            let reachable = network.roles.keys().any(|sender| {
                sender != role_name && talks(sender, role_name) && spec.allows(sender)
            });
            if reachable {
                add(Action::Receive, role_name, message);
            }
        }
        for (receiver, other) in &network.roles {
            if receiver == role_name || !talks(role_name, receiver) {
                continue;
            }
            for (message, spec) in &other.messages {
                if spec.allows(role_name) {
                    add(Action::Send, receiver, message);
                }
            }
        }
    }
}

/// The payload schema with its local definitions moved to `components.schemas`
/// (keyed `<message key>.<name>`) and its `$ref`s pointed there; `$schema` is dropped.
fn hoist_definitions(payload: &Value, key: &str, schemas: &mut IndexMap<String, Value>) -> Value {
    let mut payload = payload.clone();
    let Some(object) = payload.as_object_mut() else {
        return payload;
    };
    object.remove("$schema");
    let mut renames = Vec::new();
    for keyword in ["definitions", "$defs"] {
        if let Some(Value::Object(definitions)) = object.remove(keyword) {
            for (name, schema) in definitions {
                let target = format!("{key}.{name}");
                renames.push((format!("#/{keyword}/{name}"), target.clone()));
                schemas.insert(target, schema);
            }
        }
    }
    if renames.is_empty() {
        return payload;
    }
    let rewrite = |value: &mut Value| rewrite_refs(value, &renames);
    rewrite(&mut payload);
    for (_, target) in &renames {
        if let Some(schema) = schemas.get_mut(target) {
            rewrite(schema);
        }
    }
    payload
}

/// Points every `$ref` naming a moved definition (or a path inside it) at its new place.
fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                for (from, to) in renames {
                    if let Some(rest) = reference.strip_prefix(from.as_str())
                        && (rest.is_empty() || rest.starts_with('/'))
                    {
                        *reference = format!("#/components/schemas/{to}{rest}");
                        break;
                    }
                }
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}
