//! One end-to-end conformance suite, generic over the adapter.
//!
//! An adapter implements [`Server`] (serve some networks on a free loopback
//! port) and runs every case with one line in its tests:
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
pub mod http_get;

use std::future::Future;
use std::net::SocketAddr;

use openws::Bindings;

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
    /// Starts an app with every mount (and the spec endpoint) and returns
    /// once it accepts connections.
    fn start(mounts: Vec<Mount>) -> impl Future<Output = RunningServer> + Send;
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
            chat_rooms_and_user_ids_are_freed_on_leave,
            a_client_that_stops_reading_is_dropped,
            oversized_frame_closes_with_1009,
            spec_endpoint_lists_every_network,
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
