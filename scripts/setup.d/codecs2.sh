#!/usr/bin/env bash
# Peers for the Thrift, Dubbo/Hessian, protobuf and DNS tests (engine/tests/codec_*.rs):
# Python's thrift, python-hessian, protobuf and dnspython. Installs only what is missing.
set -euo pipefail

pip_install() {
  # Debian's own Python refuses user packages unless told (PEP 668).
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  echo "setup: installing python3 and pip"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-pip
fi

missing=()
python3 -c 'import thrift' 2>/dev/null || missing+=(thrift)
python3 -c 'import dns.message' 2>/dev/null || missing+=(dnspython)
python3 -c 'import google.protobuf' 2>/dev/null || missing+=(protobuf)
python3 -c 'import pyhessian' 2>/dev/null || missing+=(python-hessian)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]} (pip)"
  pip_install "${missing[@]}"
fi
