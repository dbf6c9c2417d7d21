#!/usr/bin/env bash
# Sets up, builds and opens the desktop app (src-tauri/): the IDE and the engine in one window.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh desktop
scripts/build-ui.sh
cargo build --release -p sluice-desktop
exec target/release/sluice-desktop "$@"
