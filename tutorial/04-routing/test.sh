#!/usr/bin/env bash
# Tests tutorial 04-routing: URL routing to backend.js, 404 for unknown paths.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/backend.js" 8080 8081 8082
start "$here/main.js" 8000
proxy=http://127.0.0.1:8000
hi=$'Hi, there!\n'

expect_body   "/hi goes to 8080" "$hi" "$proxy/hi"
expect_body   "/hi/there goes to 8080 too" "$hi" "$proxy/hi/there"
expect_body   "the query does not change the route" "$hi" "$proxy/hi?x=1"
expect_body   "/echo goes to 8081" 'ping' -d 'ping' "$proxy/echo"
expect_body   "/ip/x goes to 8082" $'You are requesting /ip/x from 127.0.0.1\n' "$proxy/ip/x"
expect_body   "8082 sees the query" $'You are requesting /ip/x?y=1 from 127.0.0.1\n' "$proxy/ip/x?y=1"
expect_status "/bad is 404" 404 "$proxy/bad"
expect_body   "/bad says No route" 'No route' "$proxy/bad"
expect_body   "/echo/x matches no rule ('/echo' is exact)" 'No route' "$proxy/echo/x"
expect_body   "the exact 404 response" \
  $'HTTP/1.1 404 Not Found\r\ncontent-length: 8\r\nconnection: keep-alive\r\n\r\nNo route' -i "$proxy/"
expect_body   "one connection reaches two different targets" \
  $'Hi, there!\nYou are requesting /ip/1 from 127.0.0.1\n' "$proxy/hi" "$proxy/ip/1"
check "... and really is one connection" 1 "$(connections "$proxy/hi" "$proxy/ip/1" "$proxy/bad")"

((fail == 0))
