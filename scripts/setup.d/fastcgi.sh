#!/usr/bin/env bash
# PHP-FPM, the FastCGI application the muxFastCGI tests (engine/tests/codec_fastcgi.rs) serve
# PHP pages from. Installs only what is missing.
set -euo pipefail
if ! ls /usr/sbin/php-fpm* >/dev/null 2>&1; then
  echo "setup: installing php-fpm"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends php-fpm
fi
