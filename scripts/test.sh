#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests drive (Chromium
# and playwright-core for the viewer page, tsc, ws and @asyncapi/parser for
# the CLI), then the whole suite. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-browser.sh
bash crates/openws-cli/tests/js/install.sh
# The cluster tests run against the machine's Redis and NATS.
bash .ci/brokers.sh
cargo test --workspace --all-features "$@"
