//! `openws diff`: what changed between two specs, and whom each change breaks.
//!
//! Every change is classified for the two sides of the message it touches:
//! its **senders** (the roles in its `from` list, which build the payload)
//! and its **receivers** (the role that accepts it, which reads the payload).
//! A change is breaking for a side when code written against the old spec
//! can fail against a peer that follows the new one: a payload the old
//! senders build that the new spec refuses (the accepted set narrowed), or
//! a payload the new senders may build that old receivers do not expect
//! (the accepted set widened).

mod report;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::process::ExitCode;

use openws_core::spec::{Document, MessageSpec, NetworkSpec, RoleSpec};
use serde::Serialize;

use crate::Format;
use crate::failure::Failure;
use crate::source::Source;

/// Whether a change breaks one side of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Impact {
    /// Code written against the old spec keeps working.
    Compatible,
    /// Code written against the old spec can fail.
    Breaking,
}

/// What kind of change it is; a stable name in the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    NetworkAdded,
    NetworkRemoved,
    RoleAdded,
    RoleRemoved,
    HostChanged,
    EndpointAdded,
    EndpointRemoved,
    MessageAdded,
    MessageRemoved,
    SenderAdded,
    SenderRemoved,
    RequiredPropertyAdded,
    OptionalPropertyAdded,
    PropertyRemoved,
    PropertyNowRequired,
    PropertyNowOptional,
    TypeNarrowed,
    TypeWidened,
    TypeChanged,
    ConstraintTightened,
    ConstraintLoosened,
    ConstraintChanged,
    SchemaChanged,
}

/// One change between two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Change {
    /// A JSON pointer to where it happened (in the new spec, or the old one for a removal).
    pub(crate) pointer: String,
    /// The kind of change.
    pub(crate) kind: Kind,
    /// What changed, in a sentence.
    pub(crate) description: String,
    /// Whether it breaks the message's senders.
    pub(crate) senders: Impact,
    /// Whether it breaks the message's receivers.
    pub(crate) receivers: Impact,
}

impl Change {
    fn new(
        pointer: impl Into<String>,
        kind: Kind,
        description: impl Into<String>,
        (senders, receivers): (Impact, Impact),
    ) -> Self {
        Self {
            pointer: pointer.into(),
            kind,
            description: description.into(),
            senders,
            receivers,
        }
    }

    /// Whether it breaks either side.
    pub(crate) fn is_breaking(&self) -> bool {
        self.senders == Impact::Breaking || self.receivers == Impact::Breaking
    }
}

use Impact::{Breaking, Compatible};

/// Neither side breaks.
const HARMLESS: (Impact, Impact) = (Compatible, Compatible);
/// The accepted set narrowed: old senders may send what is now refused.
const NARROWED: (Impact, Impact) = (Breaking, Compatible);
/// The accepted set widened: new senders may send what old receivers do not expect.
const WIDENED: (Impact, Impact) = (Compatible, Breaking);
/// Both at once, or a change too structural to call.
const BOTH: (Impact, Impact) = (Breaking, Breaking);

/// `openws diff old new`: prints the report; exits 1 when a change is breaking.
pub(crate) fn run(old: &Source, new: &Source, format: Format) -> Result<ExitCode, Failure> {
    let changes = diff(&old.load()?, &new.load()?);
    report::print(&changes, format);
    let breaking = changes.iter().any(Change::is_breaking);
    Ok(ExitCode::from(u8::from(breaking)))
}

/// Every change from `old` to `new`, in document order.
pub(crate) fn diff(old: &Document, new: &Document) -> Vec<Change> {
    let mut changes = Vec::new();
    for (name, old_network) in &old.networks {
        let at = format!("/networks/{}", escape(name));
        match new.networks.get(name) {
            Some(new_network) => diff_network(&at, old_network, new_network, &mut changes),
            None => changes.push(Change::new(
                at,
                Kind::NetworkRemoved,
                format!("network `{name}` removed"),
                BOTH,
            )),
        }
    }
    for name in new.networks.keys() {
        if !old.networks.contains_key(name) {
            changes.push(Change::new(
                format!("/networks/{}", escape(name)),
                Kind::NetworkAdded,
                format!("network `{name}` added"),
                HARMLESS,
            ));
        }
    }
    changes
}

fn diff_network(at: &str, old: &NetworkSpec, new: &NetworkSpec, changes: &mut Vec<Change>) {
    if old.host_role() != new.host_role() {
        changes.push(Change::new(
            at,
            Kind::HostChanged,
            format!(
                "host role changed from {} to {}",
                quoted_or_none(old.host_role()),
                quoted_or_none(new.host_role())
            ),
            BOTH,
        ));
    }
    for (name, old_role) in &old.roles {
        let role_at = format!("{at}/roles/{}", escape(name));
        match new.roles.get(name) {
            Some(new_role) => diff_role(&role_at, (name, old, old_role), (new, new_role), changes),
            None => changes.push(Change::new(
                role_at,
                Kind::RoleRemoved,
                format!("role `{name}` removed"),
                BOTH,
            )),
        }
    }
    for name in new.roles.keys() {
        if !old.roles.contains_key(name) {
            changes.push(Change::new(
                format!("{at}/roles/{}", escape(name)),
                Kind::RoleAdded,
                format!("role `{name}` added"),
                HARMLESS,
            ));
        }
    }
}

fn diff_role(
    at: &str,
    (role, old_network, old): (&str, &NetworkSpec, &RoleSpec),
    (new_network, new): (&NetworkSpec, &RoleSpec),
    changes: &mut Vec<Change>,
) {
    let paths = |spec: &RoleSpec| -> BTreeSet<String> {
        spec.endpoints
            .iter()
            .flatten()
            .map(|e| e.path.clone())
            .collect()
    };
    let (old_paths, new_paths) = (paths(old), paths(new));
    for path in old_paths.difference(&new_paths) {
        changes.push(Change::new(
            format!("{at}/endpoints"),
            Kind::EndpointRemoved,
            format!("endpoint path `{path}` of `{role}` removed"),
            BOTH,
        ));
    }
    for path in new_paths.difference(&old_paths) {
        changes.push(Change::new(
            format!("{at}/endpoints"),
            Kind::EndpointAdded,
            format!("endpoint path `{path}` of `{role}` added"),
            HARMLESS,
        ));
    }
    for (name, old_message) in &old.messages {
        let message_at = format!("{at}/messages/{}", escape(name));
        match new.messages.get(name) {
            Some(new_message) => {
                let old_senders = senders(old_network, role, old_message);
                let new_senders = senders(new_network, role, new_message);
                diff_senders(&message_at, name, &old_senders, &new_senders, changes);
                schema::diff(
                    &format!("{message_at}/payload"),
                    &old_message.payload,
                    &new_message.payload,
                    changes,
                );
            }
            None => changes.push(Change::new(
                message_at,
                Kind::MessageRemoved,
                format!("message `{name}` (to `{role}`) removed"),
                NARROWED,
            )),
        }
    }
    for name in new.messages.keys() {
        if !old.messages.contains_key(name) {
            changes.push(Change::new(
                format!("{at}/messages/{}", escape(name)),
                Kind::MessageAdded,
                format!("message `{name}` (to `{role}`) added"),
                HARMLESS,
            ));
        }
    }
}

/// The roles that may send `message` to `receiver`: its `from` list, or every other role.
fn senders(network: &NetworkSpec, receiver: &str, message: &MessageSpec) -> BTreeSet<String> {
    match &message.from {
        Some(from) => from.iter().cloned().collect(),
        None => network
            .roles
            .keys()
            .filter(|role| *role != receiver)
            .cloned()
            .collect(),
    }
}

fn diff_senders(
    at: &str,
    message: &str,
    old: &BTreeSet<String>,
    new: &BTreeSet<String>,
    changes: &mut Vec<Change>,
) {
    for role in old.difference(new) {
        changes.push(Change::new(
            format!("{at}/from"),
            Kind::SenderRemoved,
            format!("`{role}` may no longer send `{message}`"),
            NARROWED,
        ));
    }
    for role in new.difference(old) {
        changes.push(Change::new(
            format!("{at}/from"),
            Kind::SenderAdded,
            format!("`{role}` may now send `{message}`"),
            HARMLESS,
        ));
    }
}

/// Escapes a name for a JSON pointer segment (RFC 6901).
pub(crate) fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn quoted_or_none(role: Option<&str>) -> String {
    role.map_or_else(|| "none".to_owned(), |role| format!("`{role}`"))
}
