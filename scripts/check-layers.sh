#!/usr/bin/env bash
# The layer check of engine/src (issue 17): prints the graph of top-level modules, its cycles
# and its upward edges, and fails on an upward edge that scripts/layers-allowed.txt does not
# list (or on a listed edge that is gone). The order of layers is scripts/layers.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/check_layers.py "$@"
