#!/usr/bin/env bash
# Builds the web IDE into ui/dist (the engine embeds it at compile time).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
npm run build
