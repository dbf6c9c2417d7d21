#!/usr/bin/env bash
# Peers of the byte-tool and PROXY protocol tests (engine/tests/byte_filters.rs,
# engine/tests/proxy_protocol.rs): HAProxy from Debian, on both sides of the PROXY protocol;
# gzip, to check compress/decompress against the system's tool; Python's brotli, to make
# brotli streams for decompress('brotli').
set -euo pipefail

need=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if ((${#need[@]})); then
  echo "setup bytes: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! python3 -c 'import brotli' 2>/dev/null; then
  echo "setup bytes: installing the Python brotli library"
  # Debian's own Python refuses user packages unless told (PEP 668).
  python3 -m pip install -q brotli 2>/dev/null || python3 -m pip install -q --break-system-packages brotli
fi
