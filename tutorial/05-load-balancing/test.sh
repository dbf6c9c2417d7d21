#!/usr/bin/env bash
# Tests tutorial 05-load-balancing: round robin per route, sticky per client connection.
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

# /hi is balanced over 8080 and 8082, one pick per client connection: A B A B ...
fetch "$proxy/hi"; check "1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "$proxy/hi"; check "2nd connection to /hi goes to 8082" "$ip_hi" "$REPLY"
fetch "$proxy/hi"; check "3rd connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "$proxy/hi"; check "4th connection to /hi goes to 8082" "$ip_hi" "$REPLY"
expect_body "one connection stays on one target (8080)" "$hi$hi$hi$hi" \
  "$proxy/hi" "$proxy/hi" "$proxy/hi" "$proxy/hi"
expect_body "the next connection goes to 8082" "$ip_hi$ip_hi" "$proxy/hi" "$proxy/hi"
expect_body "/echo goes to 8081" 'pong' -d 'pong' "$proxy/echo"
expect_body "/ip/x goes to 8082" $'You are requesting /ip/x from 127.0.0.1\n' "$proxy/ip/x"
expect_status "/bad is 404" 404 "$proxy/bad"
expect_body "/bad says No route" 'No route' "$proxy/bad"

((fail == 0))
