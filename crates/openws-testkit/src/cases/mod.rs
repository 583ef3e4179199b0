//! The conformance cases. Each starts its own server through the adapter
//! under test, so cases share no state.

mod backpressure;
mod chat;
mod errors;
mod handshake;
mod lifecycle;
mod pipeline;
mod rooms;
mod spec;

pub use backpressure::a_client_that_stops_reading_is_dropped;
pub use chat::{
    chat_flow_across_three_connections, chat_flow_in_every_style,
    peer_handles_work_from_other_connections,
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
    close_hook_runs_once_when_client_closes, kick_with_reason_arrives_after_queued_frames,
    oversized_frame_closes_with_1009,
};
pub use pipeline::{
    a_long_stream_reaches_a_slow_reader_complete_and_in_order,
    a_tower_timeout_answers_with_timeout, binary_frames_reach_the_binary_handler,
    guards_refuse_until_login, streams_end_on_cancel_and_on_disconnect,
};
pub use rooms::{
    chat_rooms_and_user_ids_are_freed_on_leave, chat_users_cannot_impersonate_each_other,
};
pub use spec::spec_endpoint_lists_every_network;
