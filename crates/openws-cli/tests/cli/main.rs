//! End-to-end tests of the `openws` binary: its commands on files and on a running
//! chat server, and the Node tooling (tsc, `ws`, `@asyncapi/parser`) on what it writes.

mod asyncapi;
mod commands;
mod support;
mod typescript;
