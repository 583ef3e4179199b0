//! [`ToConnection`]: one connection, addressed by id, wherever it is.

use serde::Serialize;

use super::Hub;
use crate::runtime::{ConnectionId, SendError};

/// One connection of a hub, addressed by its id on whichever node holds it;
/// see [`Hub::connection`].
///
/// ```
/// # use openws_core::{ConnectionId, Hub};
/// async fn notify(hub: &Hub, id: ConnectionId) {
///     if let Err(error) = hub.connection(id).send("notice", &serde_json::json!({"text": "hi"})).await {
///         tracing::debug!(%error, "notice not delivered");
///     }
/// }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a connection handle does nothing until you send"]
pub struct ToConnection {
    hub: Hub,
    id: ConnectionId,
}

impl ToConnection {
    pub(super) fn new(hub: Hub, id: ConnectionId) -> Self {
        Self { hub, id }
    }

    /// The connection's id.
    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// Sends `message` with `payload`, validated against the connection's
    /// role; the same as [`Hub::send_to`].
    pub async fn send<T: Serialize + ?Sized>(
        &self,
        message: &str,
        payload: &T,
    ) -> Result<(), SendError> {
        self.hub.send_to(self.id, message, payload).await
    }
}
