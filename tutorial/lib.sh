# Shared helpers for the tutorials' test.sh scripts: start engines, send requests with curl,
# and print one "ok" or "FAIL" line per check. Source it after setting $engine and $here.
# shellcheck shell=bash
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
# port_busy PORT: something listens on PORT, on any address (ss sees listeners that 127.0.0.1
# does not reach, such as one on [::1], which would still keep the engine from binding [::]).
port_busy() {
  if command -v ss >/dev/null; then ss -Hltn "sport = :$1" | grep -q .; else port_open "$1"; fi
}
wait_port() { local i; for ((i = 0; i < 100; i++)); do port_open "$1" && return 0; sleep 0.1; done; return 1; }

# need_free SCRIPT PORT...: waits (30 s at most) while another program holds a PORT; gives up the
# whole test if one stays busy.
need_free() {
  local script=$1 port i; shift
  for port; do
    for ((i = 0; i < 300; i++)); do port_busy "$port" || break; sleep 0.1; done
    if port_busy "$port"; then
      echo "FAIL start $(basename "$script"): port $port is already in use by another program"; exit 1
    fi
  done
}

# start SCRIPT PORT...: runs the engine on SCRIPT in the background, once every PORT is free
# (need_free), then waits (10 s at most) until every PORT accepts connections. Gives up the whole
# test if it cannot.
start() {
  local script=$1 port; shift
  need_free "$script" "$@"
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


# make_test_cert: copies the tutorial's folder to a temporary one and makes a self-signed
# cert.pem and key.pem for localhost there, the way the TLS tutorials' README says (valid for one
# day); $here then names the copy, which is removed when the test ends. Private keys never land in
# the source tree (the engine build embeds the tutorial folders).
make_test_cert() {
  if ! command -v openssl >/dev/null; then
    echo "FAIL openssl: the openssl command is missing; it is needed to make the test certificate"
    exit 1
  fi
  cp -r "$here" "$tmp/tutorial"
  here=$tmp/tutorial
  rm -f "$here"/*.pem
  if ! openssl req -x509 -newkey rsa:2048 -nodes -subj '/CN=localhost' \
    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' -days 1 \
    -keyout "$here/key.pem" -out "$here/cert.pem" >"$tmp/openssl.log" 2>&1; then
    echo "FAIL openssl: could not make cert.pem and key.pem:"; sed 's/^/  | /' "$tmp/openssl.log"
    exit 1
  fi
}
