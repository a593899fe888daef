#!/usr/bin/env bash
# Serves the referral checker (web/dist/, built by scripts/build-web.sh, which rebuilds the
# WebAssembly package only when a source changed) on http://127.0.0.1:8080/ (or the port
# given). Only this machine can reach it.
#   scripts/serve-web.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
exec node web/server.mjs "${1:-8080}" web/dist
