#!/usr/bin/env bash
# Tests tutorial 15-retries-fanout: retries of a flaky service with back-off (replay), a service
# that stays down, and a fan-out to three services that answers once all have (forkJoin).
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/backend.js" 8080 8081 8082
start "$here/main.js" 8000
gw=http://127.0.0.1:8000
attempts=(-w ' %{http_code} attempts=%header{x-attempts}')
dashboard='{"users":{"users":3},"orders":{"orders":7},"stock":{"items":42}}'
# elapsed_ms CURL-ARGS...: how long one curl run took, in milliseconds.
elapsed_ms() { curl -s -m 5 -o /dev/null -w '%{time_total}' "$@" | awk '{ printf "%d", $1 * 1000 }'; }

expect_body "users answers at once" '{"users":3} 200 attempts=1' "${attempts[@]}" "$gw/users"
expect_body "orders answers at once" '{"orders":7} 200 attempts=1' "${attempts[@]}" "$gw/orders"
expect_body "stock answers at the 3rd attempt" '{"items":42} 200 attempts=3' "${attempts[@]}" "$gw/stock"
expect_body "again: each call gets its own 3 attempts" '{"items":42} 200 attempts=3' "${attempts[@]}" "$gw/stock"
expect_body "a service that stays down: the last 503 after 3 attempts" 'Down 503 attempts=3' \
  "${attempts[@]}" "$gw/stock/down"
expect_status "an unknown service: 404" 404 "$gw/nothing"

# Back-off: 0.1 s after the 1st attempt and 0.2 s after the 2nd.
ms=$(elapsed_ms "$gw/stock")
check "the retries of stock wait 0.1 s then 0.2 s (at least 300 ms)" yes "$( ((ms >= 300)) && echo yes || echo "no: ${ms} ms")"
ms=$(elapsed_ms "$gw/users")
check "a call that succeeds at once does not wait" yes "$( ((ms < 300)) && echo yes || echo "no: ${ms} ms")"

# Fan-out: all three answers, in a fixed order; the branches run side by side, so the dashboard
# takes about as long as stock alone, not the sum.
expect_body "the dashboard gathers the three services" "$dashboard" "$gw/dashboard"
ms=$(elapsed_ms "$gw/dashboard")
check "the dashboard's branches run at once (300 to 900 ms)" yes \
  "$( ((ms >= 300 && ms < 900)) && echo yes || echo "no: ${ms} ms")"
expect_body "two dashboards on one connection" "$dashboard$dashboard" "$gw/dashboard" "$gw/dashboard"

# Without the services, every branch tries 3 times, gets 502 from connect, and says so.
stop "${pids[0]}"
expect_body "services down: the dashboard reports each failure" \
  '{"users":{"error":502,"attempts":3},"orders":{"error":502,"attempts":3},"stock":{"error":502,"attempts":3}}' \
  "$gw/dashboard"

((fail == 0))
