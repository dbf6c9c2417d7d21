#!/usr/bin/env bash
# Tests tutorial 14-grpc: gRPC calls from a real gRPC client (Python grpcio, installed by
# scripts/setup.sh grpc) routed by method to two gRPC services written as scripts, and the
# proxy's own answer to a call without a route.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/backend.js" 8080 8081
start "$here/main.js" 8000
call() { python3 "$here/client.py" 127.0.0.1:8000 "$@" 2>&1; }

check "hello.Greeter/SayHello reaches the Greeter" "OK Hello, world!" "$(call /hello.Greeter/SayHello world)"
check "every Greeter method goes there" "OK Hello, you!" "$(call /hello.Greeter/SayHi you)"
check "hello.Mirror/Reverse reaches the Mirror" "OK desserts" "$(call /hello.Mirror/Reverse stressed)"
check "another Mirror method has no route: UNIMPLEMENTED" "UNIMPLEMENTED: no route" \
  "$(call /hello.Mirror/Other x)"
check "the access log has the call's grpc-status" 1 \
  "$(grep -c '"POST /hello.Mirror/Reverse HTTP/2" 200 .* grpc-status=0$' "$log")"

((fail == 0))
