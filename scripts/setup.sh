#!/usr/bin/env bash
# Installs what building and testing Sluice needs on a fresh Debian machine.
# Safe to run again: it only installs what is missing.
#   scripts/setup.sh          build tools, curl, Node.js (for the IDE)
#   scripts/setup.sh browser  also Chromium, for the browser tests
#   scripts/setup.sh desktop  also WebKitGTK 4.1 (to build the Tauri desktop app) and the X tools
#                             its test uses (Xvfb, xauth, ImageMagick, xdotool)
#   scripts/setup.sh grpc     also Python's grpcio and grpcio-tools, for the gRPC tests
#   scripts/setup.sh bytes    also HAProxy, gzip and Python's brotli, for the byte-tool and PROXY
#                             protocol tests (scripts/setup.d/bytes.sh)
#   scripts/setup.sh h2check  also Python 3 and its h2 library, for the HTTP/2 conformance
#                             checks (tests/h2conformance/), and nghttp (HTTP/2 client tests)
#   scripts/setup.sh NAME     for any other NAME, runs scripts/setup.d/NAME.sh: the real peers
#                             (servers and clients from Debian or PyPI) that a test suite needs
set -euo pipefail

need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${1:-}" = browser ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if [ "${1:-}" = desktop ]; then
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || need+=(libwebkit2gtk-4.1-dev pkg-config)
  command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
  command -v xauth >/dev/null 2>&1 || need+=(xauth)
  command -v import >/dev/null 2>&1 || need+=(imagemagick)
  command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
fi
if [ "${1:-}" = h2check ]; then
  command -v nghttp >/dev/null 2>&1 || need+=(nghttp2-client)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
fi
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ "${1:-}" = h2check ] && ! python3 -c 'import h2' 2>/dev/null; then
  echo "setup: installing the Python h2 library"
  # Debian's own Python refuses user packages unless told (PEP 668).
  python3 -m pip install -q h2 2>/dev/null || python3 -m pip install -q --break-system-packages h2
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust (cargo) is required: install it with rustup" >&2
  exit 1
fi
if [ "${1:-}" = grpc ] && ! python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
  echo "setup: installing grpcio and grpcio-tools (pip)"
  python3 -m pip install --quiet grpcio grpcio-tools
fi
if [ -n "${1:-}" ] && [ -f "$(dirname "$0")/setup.d/$1.sh" ]; then
  bash "$(dirname "$0")/setup.d/$1.sh"
fi
