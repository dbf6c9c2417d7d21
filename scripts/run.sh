#!/usr/bin/env bash
# Builds the engine and runs a script or codebase (default: the first tutorial).
# Usage: scripts/run.sh [script.js | codebase-folder] [engine options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release -p engine
target=${1:-tutorial/01-hello/main.js}
shift || true
exec target/release/engine "$target" "$@"
