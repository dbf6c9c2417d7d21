#!/usr/bin/env bash
# Tests tutorial 09-rate-limiting: /hi/* is throttled (5 a second, the rest wait), /ip/* has a
# hard limit (3 a second, the rest get 429), /echo has no limit.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

start "$here/backend.js" 8080 8081 8082
start "$here/main.js" 8000
proxy=http://127.0.0.1:8000
ip_x='You are requesting /ip/x from 127.0.0.1'

# times N URL: prints URL N times, for one curl run (one connection, one request after another).
times() { local i; for ((i = 0; i < $1; i++)); do printf '%s\n' "$2"; done; }

# The hard limit: a burst of 10 requests to /ip/x over one connection. Each response is shown as
# its body then " <status>" (the body of a 200 ends with a newline, that of a 429 does not).
mapfile -t urls < <(times 10 "$proxy/ip/x")
burst=$(curl -s -m 10 -w ' %{http_code}\n' "${urls[@]}")
ok=$(grep -c '^ 200$' <<<"$burst")
refused=$(grep -c '^Too many requests 429$' <<<"$burst")
check "burst: the first 3 requests pass" "$ip_x"$'\n 200\n'"$ip_x"$'\n 200\n'"$ip_x"$'\n 200' \
  "$(head -n 6 <<<"$burst")"
check "burst: some requests get 429 Too many requests" yes "$( ((refused >= 1)) && echo yes || echo "no ($refused)")"
check "burst: every response is a 200 or a 429" 10 "$((ok + refused))"
sleep 1.2
expect_body "a second later /ip/x passes again" "$ip_x"$'\n' "$proxy/ip/x"

# The throttle: 11 requests to /hi with 5 allowed a second need three seconds' worth of quota,
# so they cannot all be answered in less than 1 s; none is refused.
mapfile -t urls < <(times 11 "$proxy/hi")
t0=$(date +%s%N)
fetch -m 15 "${urls[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
check "throttle: all 11 requests to /hi are answered" "$(times 11 'Hi, there!')"$'\n' "$REPLY"
check "throttle: they take at least 1 s" yes "$( ((ms >= 1000)) && echo yes || echo "no ($ms ms)")"

# Routes without a quota, and no route at all.
mapfile -t urls < <(times 10 "$proxy/echo")
expect_body "/echo has no limit: 10 requests, 10 answers" pongpongpongpongpongpongpongpongpongpong \
  -d pong "${urls[@]}"
expect_status "/bad is 404" 404 "$proxy/bad"

((fail == 0))
