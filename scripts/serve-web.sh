#!/usr/bin/env bash
# Serves the referral checker on http://127.0.0.1:8080/ (or the port given), building the
# WebAssembly package first. Only this machine can reach it.
#   scripts/serve-web.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
bindings-wasm/build.sh
exec node web/server.mjs "${1:-8080}"
