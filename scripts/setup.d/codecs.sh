#!/usr/bin/env bash
# Real peers for the codec tests (engine/tests/codec_*.rs): the mosquitto broker and its
# mosquitto_pub/mosquitto_sub clients (MQTT), redis-server and redis-cli (RESP), curl (multipart),
# and Python's websockets library (WebSocket client and server).
# Safe to run again: installs only what is missing.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if ((${#need[@]})); then
  echo "setup codecs: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if ! python3 -c 'import websockets' 2>/dev/null; then
  echo "setup codecs: installing the Python websockets library"
  # Debian's own Python refuses user packages unless told (PEP 668).
  python3 -m pip install -q websockets 2>/dev/null ||
    python3 -m pip install -q --break-system-packages websockets
fi
