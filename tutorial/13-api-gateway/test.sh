#!/usr/bin/env bash
# Tests tutorial 13-api-gateway: HTTPS termination, bearer-token authentication (401), routing,
# round-robin balancing, a per-service rate limit (429) and the 404 of the last plugin.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# The certificate and key of config.json, made the way README.md says (valid for one day), in a
# temporary copy of this folder: from here on $here names the copy.
make_test_cert

start "$here/backend.js" 8080 8081 8082
start "$here/main.js" 8443
https=(--cacert "$here/cert.pem" --resolve localhost:8443:127.0.0.1)
auth=(-H 'authorization: Bearer open-sesame')
gw=https://localhost:8443
hi=$'Hi, there!\n'
ip_hi=$'You are requesting /hi from 127.0.0.1\n'
ip_x=$'You are requesting /ip/x from 127.0.0.1\n'
ipq() { printf 'You are requesting /ip/x?%s from 127.0.0.1\n 200' "$1"; }

# TLS: the gateway's certificate is checked, and only HTTPS is spoken.
check "without --cacert curl rejects the certificate (exit 60)" 60 \
  "$(curl -s -m 5 -o /dev/null --resolve localhost:8443:127.0.0.1 "$gw/hi"; echo $?)"

# Authentication comes first: no token, a wrong token, or no "Bearer " means 401, on any path.
expect_body "no token: 401 Unauthorized" \
  $'HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer\r\ncontent-length: 12\r\nconnection: keep-alive\r\n\r\nUnauthorized' \
  -i "${https[@]}" "$gw/hi"
expect_status "wrong token: 401" 401 "${https[@]}" -H 'authorization: Bearer open-says-me' "$gw/hi"
expect_status "token without Bearer: 401" 401 "${https[@]}" -H 'authorization: open-sesame' "$gw/hi"
expect_status "no token, unknown path: 401 (not 404)" 401 "${https[@]}" "$gw/nowhere"

# With the token: routing and round-robin balancing, as in tutorial 07.
fetch "${https[@]}" "${auth[@]}" "$gw/hi"; check "1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "${https[@]}" "${auth[@]}" "$gw/hi"; check "2nd connection to /hi goes to 8082" "$ip_hi" "$REPLY"
expect_body "one connection stays on one target (8080)" "$hi$hi$hi" \
  "${https[@]}" "${auth[@]}" "$gw/hi" "$gw/hi" "$gw/hi"
expect_body "/echo goes to 8081" 'authorized' "${https[@]}" "${auth[@]}" -d authorized "$gw/echo"
expect_status "unknown path: 404" 404 "${https[@]}" "${auth[@]}" "$gw/nowhere"
expect_body "unknown path: No route" 'No route' "${https[@]}" "${auth[@]}" "$gw/nowhere"

# The rate limit of service-tell-ip (3 a second): a burst of 8 over one connection. Each
# response is shown as its body then " <status>".
burst=$(curl -s -m 10 "${https[@]}" "${auth[@]}" -w ' %{http_code}\n' "$gw/ip/x?[1-8]")
ok=$(grep -c '^ 200$' <<<"$burst")
refused=$(grep -c '^Too many requests 429$' <<<"$burst")
check "rate limit: the first 3 requests pass" \
  "$(ipq 1)"$'\n'"$(ipq 2)"$'\n'"$(ipq 3)" "$(head -n 6 <<<"$burst")"
check "rate limit: some requests get 429 Too many requests" yes \
  "$( ((refused >= 1)) && echo yes || echo "no ($refused)")"
check "rate limit: every response is a 200 or a 429" 8 "$((ok + refused))"
expect_body "rate limit: other services are not limited (5 at once to /echo)" okokokokok \
  "${https[@]}" "${auth[@]}" -d ok "$gw/echo?[1-5]"
sleep 1.2
expect_body "rate limit: a second later /ip/x passes again" "$ip_x" "${https[@]}" "${auth[@]}" "$gw/ip/x"

((fail == 0))
