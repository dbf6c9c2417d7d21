#!/usr/bin/env bash
# Tests tutorial 08-caching: GET responses cached by path for 1 s, served with x-cache: hit.
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
ip_x=$'You are requesting /ip/x from 127.0.0.1\n'
ip_xq=$'You are requesting /ip/x?a=1 from 127.0.0.1\n'

# response X-CACHE BODY: puts in $want the whole 200 response (as curl -i shows it) with that
# x-cache header and that body.
response() {
  printf -v want 'HTTP/1.1 200 OK\r\nx-cache: %s\r\ncontent-length: %d\r\nconnection: keep-alive\r\n\r\n%s' \
    "$1" "${#2}" "$2"
}

# /hi is balanced over 8080 and 8082, so a hit shows: the 2nd connection would have reached 8082.
response miss "$hi";   expect_body "1st /hi is a miss (8080)" "$want" -i "$proxy/hi"
response hit "$hi";    expect_body "2nd /hi is a hit (the answer of 8080 again)" "$want" -i "$proxy/hi"
response miss "$ip_x"; expect_body "/ip/x is another key: a miss" "$want" -i "$proxy/ip/x"
response hit "$ip_x";  expect_body "/ip/x again: a hit" "$want" -i "$proxy/ip/x"
response miss "$ip_xq"; expect_body "the query is part of the key: a miss" "$want" -i "$proxy/ip/x?a=1"

# Past the ttl of 1 s the entries are gone: the next /hi goes upstream, to 8082 this time.
sleep 1.3
response miss "$ip_hi"; expect_body "after the ttl, /hi is a miss again (8082)" "$want" -i "$proxy/hi"
response hit "$ip_hi";  expect_body "... and then a hit" "$want" -i "$proxy/hi"

# Only GET is cached.
expect_body "POST is not cached (1)" 'one' -d one "$proxy/echo"
expect_body "POST is not cached (2)" 'two' -d two "$proxy/echo"
check "POST has no x-cache header" '' \
  "$(curl -s -m 5 -o /dev/null -w '%header{x-cache}' -d three "$proxy/echo")"
expect_status "/bad is 404" 404 "$proxy/bad"

((fail == 0))
