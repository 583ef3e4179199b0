//! The conformance cases. Each starts its own server through the adapter
//! under test, so cases share no state.

mod admission;
mod backpressure;
mod browser_auth;
mod chat;
mod client;
mod compat;
mod discovery;
mod errors;
mod framing;
mod handshake;
mod keepalive;
mod lifecycle;
mod management;
mod pipeline;
mod rooms;
mod shutdown;
mod spec;

pub use admission::{
    connection_limit_answers_503_and_frees_places, origin_allow_list_is_enforced_and_changeable,
    per_ip_limit_answers_503, rate_limit_refuses_frames_then_closes_a_flood,
    subprotocol_is_negotiated_and_required,
};
pub use backpressure::a_client_that_stops_reading_is_dropped;
pub use browser_auth::portal_connects_with_query_or_subprotocol_token;
pub use chat::{
    chat_flow_across_three_connections, chat_flow_in_every_style,
    peer_handles_work_from_other_connections,
};
pub use client::client_requests_are_correlated;
pub use compat::string_payloads_are_answered_with_strings;
pub use discovery::{
    endpoints_own_their_paths, independent_apps_list_only_their_own,
    layers_and_state_see_the_networks, merged_routers_list_every_network,
    nested_networks_list_full_paths, spec_survives_fallback_added_after,
    spec_survives_fallback_added_before,
};
pub use errors::{
    every_error_code_leaves_connection_usable, from_list_is_enforced, handler_panic_is_isolated,
    invalid_payload_details, outbound_payload_is_validated, replies_carry_request_id,
    unusable_ids_are_refused,
};
pub use framing::{
    framing_violations_close_with_rfc_codes, half_open_handshake_is_closed,
    huge_frame_header_closes_with_1009, malformed_handshakes_are_refused,
};
pub use handshake::{
    connect_hook_admits_portal_with_token, connect_hook_refuses_bad_token_with_401,
    connect_hook_refuses_with_403, first_frame_opens_only_open_roles,
    fixed_role_holds_for_every_frame, role_spoofing_is_refused,
};
pub use keepalive::a_client_that_stops_answering_pings_is_dropped;
pub use lifecycle::{
    close_hook_runs_once_when_client_closes, kick_with_reason_arrives_after_queued_frames,
    oversized_frame_closes_with_1009,
};
pub use management::{management_lists_pushes_and_closes, management_needs_its_token};
pub use pipeline::{
    a_long_stream_reaches_a_slow_reader_complete_and_in_order,
    a_tower_timeout_answers_with_timeout, binary_frames_reach_the_binary_handler,
    guards_refuse_until_login, streams_end_on_cancel_and_on_disconnect,
};
pub use rooms::{
    chat_rooms_and_user_ids_are_freed_on_leave, chat_users_cannot_impersonate_each_other,
};
pub use shutdown::shutdown_sends_1001_after_queued_frames;
pub use spec::{spec_endpoint_lists_every_network, spec_ignores_forwarding_headers};
