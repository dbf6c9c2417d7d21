#!/usr/bin/env bash
# Builds the IDE and the engine, then runs a script or codebase (default: the first tutorial).
# With no argument at all besides options like --admin-port, see README.
# Usage: scripts/run.sh [script.js | codebase-folder] [engine options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-ui.sh
cargo build --release -p engine
target=${1:-tutorial/01-hello/main.js}
shift || true
exec target/release/engine "$target" "$@"
