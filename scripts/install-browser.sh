#!/usr/bin/env bash
# Installs what the browser test of the viewer page needs (tests/viewer.rs):
# Debian's Chromium and playwright-core (from tests/browser/package-lock.json).
# Where Chromium cannot be installed the test skips itself with a message, so
# a failed Chromium install is a warning here, not an error.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x /usr/bin/chromium ]; then
    echo "install-browser: Chromium is installed"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "install-browser: installing Debian's chromium"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
        echo "install-browser: WARNING: chromium could not be installed; the viewer browser test will be skipped" >&2
    fi
else
    echo "install-browser: WARNING: no Chromium and no root apt-get; the viewer browser test will be skipped" >&2
fi

if ! command -v npm >/dev/null 2>&1; then
    if [ -x /usr/bin/chromium ]; then
        echo "install-browser: npm is missing; install Node.js 20 or newer" >&2
        exit 1
    fi
    exit 0
fi
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
echo "install-browser: playwright-core installed in tests/browser"
