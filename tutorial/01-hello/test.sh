#!/usr/bin/env bash
# Tests tutorial 01-hello: one port, one fixed HTTP response.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/main.js" 8080
url=http://127.0.0.1:8080
hi=$'Hi, there!\n'

expect_body   "GET / gets the greeting" "$hi" "$url/"
expect_status "GET / is 200 OK" 200 "$url/"
expect_body   "any path gets the same greeting" "$hi" "$url/some/where?x=1"
expect_body   "a POST gets the same greeting" "$hi" -d 'ignored' "$url/"
expect_body   "the exact response bytes" \
  $'HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: keep-alive\r\n\r\nHi, there!\n' -i "$url/"
check "three requests share one connection" 1 "$(connections "$url/" "$url/a" "$url/b")"

((fail == 0))
