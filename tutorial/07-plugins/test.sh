#!/usr/bin/env bash
# Tests tutorial 07-plugins: router -> balancer -> default plugins chained behind one port.
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
ip_hi=$'You are requesting /hi from 127.0.0.1\n'

expect_status "/ (no route) is 404" 404 "$proxy/"
expect_body   "the default plugin answers No handler" \
  $'HTTP/1.1 404 Not Found\r\ncontent-length: 10\r\nconnection: keep-alive\r\n\r\nNo handler' -i "$proxy/"
fetch "$proxy/hi"; check "1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "$proxy/hi"; check "2nd connection to /hi goes to 8082" "$ip_hi" "$REPLY"
fetch "$proxy/hi"; check "3rd connection to /hi goes to 8080" "$hi" "$REPLY"
expect_body   "/echo goes to 8081" 'plugged' -d 'plugged' "$proxy/echo"
expect_body   "/ip/x goes to 8082" $'You are requesting /ip/x from 127.0.0.1\n' "$proxy/ip/x"
expect_body   "one connection: balanced, unrouted and routed requests" \
  "${ip_hi}No handler"$'You are requesting /ip/z from 127.0.0.1\n' "$proxy/hi" "$proxy/nowhere" "$proxy/ip/z"
check "... and really is one connection" 1 "$(connections "$proxy/hi" "$proxy/nowhere" "$proxy/ip/z")"

((fail == 0))
