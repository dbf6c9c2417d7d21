#!/usr/bin/env bash
# Tests tutorial 02-echo: a static reply, an echo and a template on three ports.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/main.js" 8080 8081 8082

expect_body   "8080 gives the static greeting" $'Hi, there!\n' http://127.0.0.1:8080/
expect_body   "8081 echoes a POST body" 'hello sluice' -d 'hello sluice' http://127.0.0.1:8081/
expect_body   "8081 gives an empty body to a GET" '' http://127.0.0.1:8081/
expect_status "8081 answers a GET with 200" 200 http://127.0.0.1:8081/
head -c 150000 /dev/urandom | base64 -w 0 >"$tmp/big"
check "8081 echoes a 200 KB body intact" "$(md5sum <"$tmp/big")" \
  "$(curl -s -m 10 --data-binary @"$tmp/big" http://127.0.0.1:8081/ | md5sum)"
expect_body   "8082 tells the path and the client address" \
  $'You are requesting /x from 127.0.0.1\n' http://127.0.0.1:8082/x
expect_body   "8082 shows the query as part of the path" \
  $'You are requesting /a/b?c=1 from 127.0.0.1\n' 'http://127.0.0.1:8082/a/b?c=1'

((fail == 0))
