#!/usr/bin/env bash
# Tests tutorial 03-proxy: a proxy on 8000 in front of backend.js (8080-8082).
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

proxy=http://127.0.0.1:8000
hi=$'Hi, there!\n'

# First the proxy alone: its upstream is down, so the proxy itself answers 502.
start "$here/main.js" 8000
expect_status "no backend yet: 502" 502 "$proxy/"
expect_body   "no backend yet: the exact 502 response" \
  $'HTTP/1.1 502 Connection Refused\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n' -i "$proxy/"

# Then with the backend services running.
start "$here/backend.js" 8080 8081 8082
expect_body   "GET is proxied to 8080" "$hi" "$proxy/"
expect_status "the proxied status is 200" 200 "$proxy/anything"
expect_body   "the exact response bytes through the proxy" \
  $'HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\nHi, there!\n' -i "$proxy/hello"
head -c 200000 /dev/zero | tr '\0' 'a' >"$tmp/big"
expect_body   "a 200 KB POST goes through" "$hi" --data-binary @"$tmp/big" "$proxy/upload"
check "three requests share one client connection" 1 "$(connections "$proxy/" "$proxy/a" "$proxy/b")"

((fail == 0))
