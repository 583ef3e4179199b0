#!/usr/bin/env bash
# Installs the npm packages the openws-cli tests drive: typescript (tsc), ws (a WebSocket
# for Node 20) and @asyncapi/parser. `.ci/run` calls it before `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts
