//! The conformance cases. Each starts its own server through the adapter
//! under test, so cases share no state.

mod chat;
mod errors;
mod framing;
mod handshake;
mod lifecycle;
mod spec;

pub use chat::{
    chat_flow_across_three_connections, chat_flow_in_every_style,
    peer_handles_work_from_other_connections,
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
pub use lifecycle::{
    close_hook_runs_once_when_client_closes, close_hook_runs_once_when_server_closes,
    oversized_frame_closes_with_1009,
};
pub use spec::{spec_endpoint_lists_every_network, spec_ignores_forwarding_headers};
