#!/usr/bin/env bash
# PHP-FPM, the FastCGI application the muxFastCGI tests (engine/tests/codec_fastcgi.rs) serve
# PHP pages from, and NGINX, the web server in front of demuxFastCGI. Installs only what is
# missing.
set -euo pipefail
need=()
ls /usr/sbin/php-fpm* >/dev/null 2>&1 || need+=(php-fpm)
[ -x /usr/sbin/nginx ] || need+=(nginx)
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
