#!/usr/bin/env bash
# Tests tutorial 16-redis-proxy: the proxy on 8000 forwards Redis commands to the server on 8080,
# logs one line per command with the client's address, and answers a client over 5 commands a
# second itself with an error, replies kept in order. First with backend.js as the server, then,
# when redis-server is installed, with a real Redis on 8080 and the same proxy, unchanged.
# Uses redis-cli too when it is installed.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

refused=$'-ERR rate limit: 5 commands a second per client\r\n'

# encode WORD... [\; WORD...]...: $BYTES gets the commands (\; between two) in RESP, arrays of
# bulk strings, as Redis clients send them.
encode() {
  local words=() w
  BYTES=
  for w in "$@" \;; do
    if [[ $w == ';' ]]; then
      BYTES+="*${#words[@]}"$'\r\n'
      for w in "${words[@]}"; do BYTES+="\$${#w}"$'\r\n'"$w"$'\r\n'; done
      words=()
    else
      words+=("$w")
    fi
  done
}

# receive FD SIZE: $REPLY gets SIZE bytes from FD (2 s at most; on a timeout, read keeps what it
# read so far), then any more that follows at once.
receive() {
  local more
  IFS= read -r -N "$2" -t 2 -u "$1" REPLY
  IFS= read -r -d '' -t 0.05 -u "$1" more
  REPLY+=$more
}

# expect_resp NAME EXPECTED WORD...: the commands, sent in one write over a new connection to the
# proxy, must be answered with exactly EXPECTED.
expect_resp() {
  local name=$1 want=$2 fd
  shift 2
  encode "$@"
  exec {fd}<>/dev/tcp/127.0.0.1/8000
  printf '%s' "$BYTES" >&"$fd"
  receive "$fd" "${#want}"
  exec {fd}>&-
  check "$name" "$want" "$REPLY"
}

# expect_burst NAME EXPECTED EXPECTED2 WORD...: like expect_resp; then, at once, a PING over a
# second connection, opened beforehand, must be answered with EXPECTED2.
expect_burst() {
  local name=$1 want=$2 want2=$3 a b first
  shift 3
  exec {a}<>/dev/tcp/127.0.0.1/8000 {b}<>/dev/tcp/127.0.0.1/8000
  encode "$@"
  printf '%s' "$BYTES" >&"$a"
  IFS= read -r -N "${#want}" -t 2 -u "$a" first
  encode PING
  printf '%s' "$BYTES" >&"$b"
  receive "$b" "${#want2}"
  exec {b}>&-
  check "$name" "$want" "$first"
  check "${name%%:*}: a second connection from the same address is refused too" "$want2" "$REPLY"
  receive "$a" 0
  check "${name%%:*}: nothing follows the burst's replies" "" "$REPLY"
  exec {a}>&-
}

# checks SERVER: the proxy's answers, with SERVER (a name, for the check lines) on 8080.
checks() {
  local s=$1
  sleep 1.1 # a fresh quota
  expect_resp "$s: PING answers +PONG" $'+PONG\r\n' PING
  expect_resp "$s: SET then GET, pipelined" $'+OK\r\n$5\r\nhello\r\n' \
    SET greeting hello \; GET greeting
  expect_resp "$s: GET of a missing key is a null bulk string" $'$-1\r\n' GET missing
  sleep 1.1
  # The burst, then a PING from the same address over another connection: the quota is used up.
  expect_burst "$s: a burst of 8: SET and 4 INCR pass, 3 are refused, in order" \
    $'+OK\r\n:1\r\n:2\r\n:3\r\n:4\r\n'"$refused$refused$refused" "$refused" \
    SET n 0 \; INCR n \; INCR n \; INCR n \; INCR n \; INCR n \; INCR n \; INCR n
  sleep 1.1
  expect_resp "$s: a second later: n is 4, the refused INCRs never reached the server" \
    $'$1\r\n4\r\n' GET n
  if command -v redis-cli >/dev/null; then
    check "$s: redis-cli SET" OK "$(redis-cli -p 8000 SET tool redis-cli 2>&1)"
    check "$s: redis-cli GET" redis-cli "$(redis-cli -p 8000 GET tool 2>&1)"
    sleep 1.1
    # -r 12: the same command twelve times, one after the other over one connection. 5 pass;
    # up to 10 if the quota is refilled meanwhile (all the replies come within a second).
    local out
    out=$(redis-cli -p 8000 -r 12 INCR cli 2>&1)
    check "$s: redis-cli INCR twelve times: 5 (to 10) pass, in order, the others are refused" yes "$(awk '
      /^$/ { next }  # redis-cli writes an empty line after an error
      /^ERR rate limit: 5 commands a second per client$/ { refused++; next }
      $0 == n + 1 { n++; next }
      { bad = 1 }
      END { print (!bad && n >= 5 && n <= 10 && n + refused == 12) ? "yes" : "no: " NR " lines" }' <<<"$out")"
  else
    echo "skip $s: redis-cli is not installed (scripts/setup.sh codecs installs it)"
  fi
}

start "$here/backend.js" 8080
start "$here/main.js" 8000
checks backend.js

# The log: one line per command, naming the client's address and port, and the refusals.
check "the log names the client and the command" yes \
  "$(grep -qE '127\.0\.0\.1:[0-9]+ SET greeting$' "$log" && echo yes || echo no)"
check "the log marks refused commands" yes \
  "$(grep -qE '127\.0\.0\.1:[0-9]+ INCR n \(refused: over the rate\)$' "$log" && echo yes || echo no)"

# The same proxy in front of a real Redis: backend.js stops, redis-server takes port 8080.
if command -v redis-server >/dev/null; then
  stop "${pids[0]}"
  need_free redis-server 8080
  redis-server --port 8080 --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
  pids+=($!)
  if wait_port 8080; then
    checks redis-server
  else
    echo "FAIL redis-server: nothing listening on port 8080 after 10 s:"
    tail -n 20 "$tmp/redis.log" | sed 's/^/  | /'
    fail=$((fail + 1))
  fi
else
  echo "skip redis-server is not installed (scripts/setup.sh codecs installs it): only backend.js was tested"
fi

((fail == 0))
