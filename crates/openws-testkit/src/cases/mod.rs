//! The conformance cases. Each starts its own server through the adapter
//! under test, so cases share no state.

mod chat;
mod discovery;
mod errors;
mod handshake;
mod lifecycle;
mod spec;

pub use chat::{
    chat_flow_across_three_connections, chat_flow_in_every_style,
    peer_handles_work_from_other_connections,
};
pub use discovery::{
    endpoints_own_their_paths, independent_apps_list_only_their_own,
    layers_and_state_see_the_networks, merged_routers_list_every_network,
    nested_networks_list_full_paths, spec_survives_fallback_added_after,
    spec_survives_fallback_added_before,
};
pub use errors::{
    every_error_code_leaves_connection_usable, from_list_is_enforced, handler_panic_is_isolated,
    invalid_payload_details, outbound_payload_is_validated, replies_carry_request_id,
};
pub use handshake::{
    connect_hook_admits_portal_with_token, connect_hook_refuses_bad_token_with_401,
    connect_hook_refuses_with_403, first_frame_opens_only_open_roles,
    fixed_role_holds_for_every_frame, role_spoofing_is_refused,
};
pub use lifecycle::{
    close_hook_runs_once_when_client_closes, close_hook_runs_once_when_server_closes,
    oversized_frame_closes_with_1009,
};
pub use spec::spec_endpoint_lists_every_network;
