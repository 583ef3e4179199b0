//! Labels: what an application shows of a connection to every node.

use std::collections::BTreeMap;

/// Short text labels of a connection (a user id, a display name), shown in
/// [`ConnectionInfo::labels`](super::ConnectionInfo::labels) by listings on
/// every node, where its typed state cannot be read.
///
/// Keep them in the connection's state:
///
/// ```
/// # use openws_core::runtime::Connection;
/// use openws_core::hub::Labels;
///
/// fn signed_in(connection: &Connection, user: &str) {
///     connection.insert(Labels::new().with("user", user));
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// No labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// These labels and `key` set to `value`.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub(crate) fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}
