#!/usr/bin/env bash
# On-demand Soak II (not part of .ci/run): HTTP/1, HTTP/2, WebSocket and a Redis proxy in one
# program, with failing backends and a reload every RELOAD seconds.
#   tests/soak/run2.sh [SECONDS=3600] [RELOAD=60]
# Needs redis-server and Python's websockets (scripts/setup.sh codecs) and h2 (scripts/setup.sh h2check).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh codecs && scripts/setup.sh h2check
cargo build --release -p engine
exec python3 tests/soak/soak2.py target/release/engine "${1:-3600}" "${2:-60}"
