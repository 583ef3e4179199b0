#!/usr/bin/env sh
# Installs the Node server's pinned dependencies (package-lock.json) unless present.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules ]; then
    npm ci --ignore-scripts --no-audit --no-fund
fi
