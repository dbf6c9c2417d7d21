#!/usr/bin/env bash
# On-demand soak test (not part of .ci/run). Usage: tests/soak/run.sh [SECONDS=600] [THREADS=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p engine
exec python3 tests/soak/soak.py target/release/engine "${1:-600}" "${2:-8}"
