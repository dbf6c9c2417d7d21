#!/usr/bin/env bash
# The whole test suite: the IDE build, formatting, lints, unit and end-to-end tests, the seed
# article's acceptance run, the tutorials, the browser tests of the IDE, and the desktop app.
# Tests that need the article's fixed ports run last, one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh browser
scripts/build-ui.sh
cargo fmt --all -- --check
# The lock files match the manifests: the workspace's, and the fuzz crate's (outside the
# workspace, so no build here would notice it falling behind the engine's dependencies).
cargo update --workspace --locked
cargo update --workspace --locked --manifest-path engine/fuzz/Cargo.toml
cargo clippy --release --all-targets -- -D warnings
scripts/check-layers.sh
scripts/setup.sh grpc
scripts/setup.sh bytes
scripts/setup.sh codecs
scripts/setup.sh codecs2
scripts/setup.sh h2check
scripts/setup.sh fastcgi
scripts/setup.sh k8s
cargo test --release --no-fail-fast
echo "== the generated reference in docs/reference is up to date"
scratch=$(mktemp -d)
# The filter examples are read from examples/filters beside the output folder.
ln -s "$PWD/docs/examples" "$scratch/examples"
target/release/engine --gen-docs "$scratch/reference" >/dev/null
if ! diff -ru docs/reference "$scratch/reference"; then
  echo "docs/reference is stale: run target/release/engine --gen-docs docs/reference"
  exit 1
fi
rm -rf "$scratch"
echo "== the Kubernetes manifests against the Kubernetes schemas"
bash tests/k8s/validate.sh
echo "== a fleet of 20 workers following a repo (publish, broken version, repo outage)"
FLEET=20 IDLE_SECS=3 node tests/fleet/run.mjs

# These use the fixed ports of the article (8000, 8080-8082), so they run one after another.
engine=target/release/engine
shared=../shared/acceptance/seed-proxy.sh
if [ -f "$shared" ]; then
  echo "== the seed article's proxy"
  bash "$shared" "$engine"
else
  echo "== the seed article's proxy: $shared not found here, skipped"
fi
echo "== tutorials"
bash tests/tutorials.sh "$engine"
echo "== the script API declarations, compiled with TypeScript"
SLUICE_ENGINE="$engine" npm run test:typings
echo "== the IDE in a browser"
SLUICE_ENGINE="$engine" npm run test:browser
echo "== the desktop app"
scripts/setup.sh desktop
cargo clippy --release -p sluice-desktop -- -D warnings
bash tests/desktop/run.sh
