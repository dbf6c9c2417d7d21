#!/usr/bin/env bash
# Tests tutorial 05-load-balancing: round robin per route, sticky per client connection.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 pids=()
tmp=$(mktemp -d)
log=$tmp/engine.log

# stop PID: ends one process we started (SIGTERM, then SIGKILL after 3 s) and reaps it.
stop() {
  local i state
  kill "$1" 2>/dev/null
  for ((i = 0; i < 30; i++)); do
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [[ -z $state || $state == Z ]] && break
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() { local p; for p in "${pids[@]}"; do stop "$p"; done; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# check NAME EXPECTED ACTUAL: one result line; newlines and CRs are shown as \n and \r.
show() { local s=${1//$'\r'/\\r}; printf '%s' "${s//$'\n'/\\n}"; }
check() {
  if [[ $3 == "$2" ]]; then pass=$((pass + 1)); echo "ok   $1"
  else fail=$((fail + 1)); echo "FAIL $1: expected [$(show "$2")] got [$(show "$3")]"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for ((i = 0; i < 100; i++)); do port_open "$1" && return 0; sleep 0.1; done; return 1; }

# start SCRIPT PORT...: runs the engine on SCRIPT in the background, then waits (10 s at most)
# until every PORT accepts connections. Gives up the whole test if it cannot.
start() {
  local script=$1 port; shift
  for port; do
    if port_open "$port"; then
      echo "FAIL start $(basename "$script"): port $port is already in use by another program"; exit 1
    fi
  done
  "$engine" "$script" >>"$log" 2>&1 &
  pids+=($!)
  for port; do
    if ! wait_port "$port"; then
      echo "FAIL start $(basename "$script"): nothing listening on port $port after 10 s; engine log:"
      tail -n 30 "$log" | sed 's/^/  | /'
      exit 1
    fi
  done
}

# fetch CURL-ARGS...: puts the exact output of curl (trailing newlines included) in $REPLY.
fetch() { REPLY=$(curl -s -m 5 "$@"; echo x); REPLY=${REPLY%x}; }
# expect_body NAME EXPECTED CURL-ARGS...: the response body must be exactly EXPECTED.
expect_body() { local name=$1 want=$2; shift 2; fetch "$@"; check "$name" "$want" "$REPLY"; }
# expect_status NAME CODE CURL-ARGS...: the response status code must be CODE.
expect_status() {
  local name=$1 want=$2; shift 2
  check "$name" "$want" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$@")"
}
# connections CURL-ARGS...: how many TCP connections one curl run opened for all its URLs.
connections() {
  local arg outs=()
  for arg; do [[ $arg == http* ]] && outs+=(-o /dev/null); done
  curl -s -m 5 "${outs[@]}" -w '%{num_connects}\n' "$@" | awk '{ n += $1 } END { print n }'
}

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
