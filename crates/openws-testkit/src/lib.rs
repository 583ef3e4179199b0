//! One end-to-end conformance suite, generic over the adapter.
//!
//! An adapter implements [`Server`] (serve a [`Layout`] of networks on a free
//! loopback port, composed the framework's way) and runs every case with one
//! line in its tests:
//!
//! ```ignore
//! openws_testkit::conformance_suite!(my_adapter_tests::MyServer);
//! ```
//!
//! The cases talk to the real server over real sockets with a
//! tokio-tungstenite client; every wait is bounded by [`client::TIMEOUT`].

pub mod apps;
pub mod cases;
pub mod client;
pub mod generated;
pub mod http_get;
mod layout;
pub mod raw;

use std::future::Future;
use std::net::SocketAddr;

use openws::Bindings;

pub use layout::{
    FALLBACK_BODY, Fallback, Group, LAYER_HEADER, LAYER_VALUE, Layout, NETWORKS_ROUTE,
    network_names,
};

/// A network to mount at a path.
#[derive(Debug, Clone)]
pub struct Mount {
    /// The WebSocket route, e.g. `/chat`.
    pub path: &'static str,
    /// The bound network.
    pub bindings: Bindings,
}

/// An adapter under test: serves networks on `127.0.0.1` at a free port.
pub trait Server {
    /// Starts an app laid out as `layout` and returns once it accepts connections.
    fn serve(layout: Layout) -> impl Future<Output = RunningServer> + Send;

    /// Starts an app serving `mounts` at its root.
    fn start(mounts: Vec<Mount>) -> impl Future<Output = RunningServer> + Send {
        Self::serve(Layout::root(mounts))
    }
}

/// A server started for one test; it stops when dropped.
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    _stop: Box<dyn std::fmt::Debug + Send + Sync>,
}

impl RunningServer {
    /// A running server at `addr`, kept alive by `stop` (dropping it must stop the server,
    /// e.g. a `tokio::sync::oneshot::Sender` or an abort-on-drop handle).
    pub fn new(addr: SocketAddr, stop: impl std::fmt::Debug + Send + Sync + 'static) -> Self {
        Self {
            addr,
            _stop: Box::new(stop),
        }
    }
}

/// Generates one `#[tokio::test]` per conformance case, for the adapter `$server`.
#[macro_export]
macro_rules! conformance_suite {
    ($server:ty) => {
        $crate::conformance_suite!(@cases $server;
            fixed_role_holds_for_every_frame,
            connect_hook_admits_portal_with_token,
            connect_hook_refuses_bad_token_with_401,
            connect_hook_refuses_with_403,
            first_frame_opens_only_open_roles,
            role_spoofing_is_refused,
            chat_flow_across_three_connections,
            chat_flow_in_every_style,
            every_error_code_leaves_connection_usable,
            invalid_payload_details,
            from_list_is_enforced,
            peer_handles_work_from_other_connections,
            outbound_payload_is_validated,
            replies_carry_request_id,
            handler_panic_is_isolated,
            close_hook_runs_once_when_client_closes,
            kick_with_reason_arrives_after_queued_frames,
            chat_users_cannot_impersonate_each_other,
            string_payloads_are_answered_with_strings,
            chat_rooms_and_user_ids_are_freed_on_leave,
            a_client_that_stops_reading_is_dropped,
            management_needs_its_token,
            management_lists_pushes_and_closes,
            oversized_frame_closes_with_1009,
            spec_endpoint_lists_every_network,
            client_requests_are_correlated,
            spec_survives_fallback_added_after,
            spec_survives_fallback_added_before,
            nested_networks_list_full_paths,
            merged_routers_list_every_network,
            layers_and_state_see_the_networks,
            independent_apps_list_only_their_own,
            endpoints_own_their_paths,
            spec_ignores_forwarding_headers,
            unusable_ids_are_refused,
            huge_frame_header_closes_with_1009,
            framing_violations_close_with_rfc_codes,
            malformed_handshakes_are_refused,
            half_open_handshake_is_closed,
            a_client_that_stops_answering_pings_is_dropped,
            shutdown_sends_1001_after_queued_frames,
            connection_limit_answers_503_and_frees_places,
            per_ip_limit_answers_503,
            origin_allow_list_is_enforced_and_changeable,
            subprotocol_is_negotiated_and_required,
            rate_limit_refuses_frames_then_closes_a_flood,
            portal_connects_with_query_or_subprotocol_token,
            guards_refuse_until_login,
            a_tower_timeout_answers_with_timeout,
            a_long_stream_reaches_a_slow_reader_complete_and_in_order,
            streams_end_on_cancel_and_on_disconnect,
            binary_frames_reach_the_binary_handler,
        );
    };
    (@cases $server:ty; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::cases::$case::<$server>().await;
            }
        )*
    };
}
