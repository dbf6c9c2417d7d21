#!/usr/bin/env bash
# Tests tutorial 10-logging-metrics: per-route request counter and latency histogram on the admin
# port's /metrics, one JSON line per request in requests.log, and the engine's access log.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# start_in DIR SCRIPT 'ARGS' PORT...: like start (lib.sh), but runs the engine in the working
# directory DIR, with the extra command-line arguments ARGS (split on spaces).
start_in() {
  local dir=$1 script=$2 args port; read -ra args <<<"$3"; shift 3
  need_free "$script" "$@"
  local bin; bin=$(realpath "$engine")
  (cd "$dir" && exec "$bin" "$script" "${args[@]}") >>"$log" 2>&1 &
  pids+=($!)
  for port; do
    if ! wait_port "$port"; then
      echo "FAIL start $(basename "$script"): nothing listening on port $port after 10 s; engine log:"
      tail -n 30 "$log" | sed 's/^/  | /'
      exit 1
    fi
  done
}

start "$here/backend.js" 8080 8081 8082
start_in "$tmp" "$here/main.js" --admin-port=6060 8000 6060
proxy=http://127.0.0.1:8000

# N = 6 requests: 3 to /hi (one connection), 1 to /ip/x, 1 POST to /echo, 1 unrouted.
expect_body "3 requests to /hi" $'Hi, there!\nHi, there!\nHi, there!\n' "$proxy/hi" "$proxy/hi" "$proxy/hi"
expect_body "/ip/x" $'You are requesting /ip/x from 127.0.0.1\n' "$proxy/ip/x"
expect_body "/echo" 'logged' -d logged "$proxy/echo"
expect_body "/bad" 'No route' "$proxy/bad"

fetch http://127.0.0.1:6060/metrics
metrics=$REPLY
metric() { grep -cxF "$1" <<<"$metrics"; }
check "/metrics: tutorial_requests{route=\"hi\"} 3" 1 "$(metric 'tutorial_requests{route="hi"} 3')"
check "/metrics: tutorial_requests{route=\"ip\"} 1" 1 "$(metric 'tutorial_requests{route="ip"} 1')"
check "/metrics: tutorial_requests{route=\"echo\"} 1" 1 "$(metric 'tutorial_requests{route="echo"} 1')"
check "/metrics: tutorial_requests{route=\"none\"} 1" 1 "$(metric 'tutorial_requests{route="none"} 1')"
check "/metrics: tutorial_latency_ms_count{route=\"hi\"} 3" 1 "$(metric 'tutorial_latency_ms_count{route="hi"} 3')"
check "/metrics: the 1000 ms bucket of /hi holds all 3" 1 \
  "$(metric 'tutorial_latency_ms_bucket{route="hi",le="1000"} 3')"

# The JSON log: one line per request, in order. The time and duration vary, so they are removed.
check "requests.log has 6 lines" 6 "$(wc -l <"$tmp/requests.log" 2>/dev/null || echo none)"
check "requests.log lines (without time and ms)" \
'{"client":"127.0.0.1","method":"GET","path":"/hi","route":"hi","upstream":"127.0.0.1:8080","status":200}
{"client":"127.0.0.1","method":"GET","path":"/hi","route":"hi","upstream":"127.0.0.1:8080","status":200}
{"client":"127.0.0.1","method":"GET","path":"/hi","route":"hi","upstream":"127.0.0.1:8080","status":200}
{"client":"127.0.0.1","method":"GET","path":"/ip/x","route":"ip","upstream":"127.0.0.1:8082","status":200}
{"client":"127.0.0.1","method":"POST","path":"/echo","route":"echo","upstream":"127.0.0.1:8081","status":200}
{"client":"127.0.0.1","method":"GET","path":"/bad","route":null,"upstream":null,"status":404}' \
  "$(sed -E 's/"time":"[0-9TZ:.-]+",//; s/,"ms":[0-9]+}$/}/' "$tmp/requests.log" 2>/dev/null)"

# demuxHTTP({ accessLog: true }): the engine logs every response under the topic [access].
check "access log: 3 lines for GET /hi" 3 "$(grep -c '\[access\] 127.0.0.1 "GET /hi HTTP/1.1" 200 11 ' "$log")"
check "access log: 1 line for GET /bad" 1 "$(grep -c '\[access\] 127.0.0.1 "GET /bad HTTP/1.1" 404 8 ' "$log")"

((fail == 0))
