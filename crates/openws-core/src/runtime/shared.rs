//! What every session of a bound network shares.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::config::SessionConfig;
use super::connect::{Admission, ConnectRequest, Rejection};
use super::context::CallParts;
use super::gate::{Gate, Subprotocol};
use crate::contract::{Contract, RoleId};
use crate::handler::Router;
use crate::hub::Hub;

/// A connect hook with the application state captured.
pub(crate) type ConnectHook =
    Arc<dyn Fn(ConnectRequest) -> BoxFuture<'static, Result<Admission, Rejection>> + Send + Sync>;

/// An open or close hook with the application state captured.
pub(crate) type LifecycleHook = Arc<dyn Fn(CallParts) -> BoxFuture<'static, ()> + Send + Sync>;

/// How a route decides the role of each connection.
pub(crate) struct RoleRule {
    pub(crate) fixed_role: Option<String>,
    pub(crate) open_roles: Vec<RoleId>,
    pub(crate) connect_hook: Option<ConnectHook>,
}

/// A bound network: contract, handlers, hub, hooks and limits.
pub(crate) struct Runtime {
    pub(crate) contract: Arc<Contract>,
    pub(crate) router: Router,
    pub(crate) hub: Hub,
    pub(crate) roles: RoleRule,
    pub(crate) open_hooks: Vec<LifecycleHook>,
    pub(crate) close_hooks: Vec<LifecycleHook>,
    pub(crate) config: SessionConfig,
    pub(crate) gate: Arc<Gate>,
    pub(crate) management_token: Option<String>,
}

impl Runtime {
    /// Admits a new connection: the gate's checks (shutdown, origin,
    /// subprotocol, limits), then the role rule.
    pub(crate) async fn admit(&self, request: ConnectRequest) -> Result<Admission, Rejection> {
        let subprotocol = self.gate.check(&request)?;
        let permit = self.gate.enter(&request)?;
        let mut admission = self.choose_role(request).await?;
        if let Some(protocol) = &subprotocol {
            admission.extensions.insert(Subprotocol(protocol.clone()));
        }
        admission.subprotocol = subprotocol;
        admission.permit = Some(permit);
        Ok(admission)
    }

    /// Decides which role a new connection holds: the connect hook's answer,
    /// else the fixed role, else the first frame (among the open roles).
    async fn choose_role(&self, request: ConnectRequest) -> Result<Admission, Rejection> {
        let admission = match &self.roles.connect_hook {
            Some(hook) => hook(request).await?,
            None => match &self.roles.fixed_role {
                Some(role) => Admission::role(role.clone()),
                None => Admission::first_frame(),
            },
        };
        match admission.chosen_role() {
            Some(role) if self.contract.remote_role(role).is_none() => {
                tracing::error!(role, "connect hook chose a role the network does not have");
                Err(Rejection::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "the server chose an unknown role",
                ))
            }
            None if self.roles.open_roles.is_empty() => {
                Err(Rejection::forbidden("no role is open to this connection"))
            }
            _ => Ok(admission),
        }
    }
}
