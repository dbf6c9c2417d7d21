#!/usr/bin/env bash
# Tests tutorial 06-configuration: tutorial 05 driven by config.json, and by another config.
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

# With the config.json of this folder: the same behaviour as tutorial 05.
fetch "$proxy/hi"; check "1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "$proxy/hi"; check "2nd connection to /hi goes to 8082" "$ip_hi" "$REPLY"
expect_body "one connection stays on one target (8080)" "$hi$hi$hi" "$proxy/hi" "$proxy/hi" "$proxy/hi"
expect_body "/echo goes to 8081" 'pong' -d 'pong' "$proxy/echo"
expect_body "/ip/x goes to 8082" $'You are requesting /ip/x from 127.0.0.1\n' "$proxy/ip/x"
expect_status "/bad is 404" 404 "$proxy/bad"
expect_body "/bad says No route" 'No route' "$proxy/bad"

# The same main.js with another config.json: another port and other routes, no code change.
mkdir "$tmp/other"
cp "$here/main.js" "$tmp/other/main.js"
cat >"$tmp/other/config.json" <<'JSON'
{
  "listen": 8001,
  "routes": {
    "/greet/*": ["127.0.0.1:8080"],
    "/who": ["127.0.0.1:8082"]
  }
}
JSON
start "$tmp/other/main.js" 8001
other=http://127.0.0.1:8001
expect_body "other config: /greet/x goes to 8080" "$hi" "$other/greet/x"
expect_body "other config: /who goes to 8082" $'You are requesting /who from 127.0.0.1\n' "$other/who"
expect_body "other config: /hi is not routed" 'No route' "$other/hi"

((fail == 0))
