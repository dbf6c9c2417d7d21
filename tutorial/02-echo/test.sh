#!/usr/bin/env bash
# Tests tutorial 02-echo: a static reply, an echo and a template on three ports.
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
