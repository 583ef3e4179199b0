//! The spec viewer and try-it page: one self-contained HTML file (no external
//! assets) that adapters serve at [`PATH`] when asked to.
//!
//! The page loads `spec.json` relative to its own URL (so `/openws/ui` reads
//! `/openws/spec.json`), lists every network, role and message with its
//! payload schema and `from` list, and lets a person connect to an endpoint
//! as a role, fill a form generated from a payload schema, send it, and watch
//! the frames that come back (error frames highlighted).
//!
//! Browsers cannot set headers on a WebSocket, so the page's token field is
//! sent as the `token` query parameter; a connect hook that should admit
//! browser users reads [`ConnectRequest::query`](crate::ConnectRequest::query).
//!
//! ```
//! let html = openws_core::viewer::page();
//! assert!(html.starts_with("<!doctype html>"));
//! assert!(!html.contains("<script src"), "no external script");
//! ```

/// Where adapters serve the page, beside the spec at `/openws/spec.json`.
pub const PATH: &str = "/openws/ui";

/// The page's media type.
pub const CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// The page, as served.
pub fn page() -> &'static str {
    include_str!("index.html")
}
