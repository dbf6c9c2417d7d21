#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and end-to-end tests, and the seed article's
# acceptance run. Tests that need the article's fixed ports run last, one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
cargo test --release --no-fail-fast
