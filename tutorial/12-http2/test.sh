#!/usr/bin/env bash
# Tests tutorial 12-http2: HTTP/1.1 and HTTP/2 from clients (clear text by prior knowledge on
# 8000, ALPN over TLS on 8443), HTTP/2 from the proxy to its upstreams.
# Usage: test.sh ENGINE_BINARY   (prints one "ok" or "FAIL" line per check; exits non-zero on a failure)
set -u
engine=${1:?usage: test.sh ENGINE_BINARY}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# The certificate and key main.js loads, made the way README.md says (valid for one day), in a
# temporary copy of this folder: from here on $here names the copy.
make_test_cert

start "$here/backend.js" 8080 8081 8082
start "$here/main.js" 8000 8443
h2c=(--http2-prior-knowledge)
https=(--cacert "$here/cert.pem" --resolve localhost:8443:127.0.0.1)
plain=http://127.0.0.1:8000
secure=https://localhost:8443
hi=$'Hi, there!\n'
ip_hi=$'You are requesting /hi from 127.0.0.1 over HTTP/2\n'

# What each client spoke, as the proxy saw it, and what curl says it got back.
expect_body "h2c (prior knowledge): the request is HTTP/2" $'protocol: HTTP/2\nno TLS\n' "${h2c[@]}" "$plain/proto"
check "h2c: the response is HTTP/2" 2 "$(curl -s -m 5 -o /dev/null -w '%{http_version}' "${h2c[@]}" "$plain/proto")"
expect_body "HTTP/1.1 still works on the same port" $'protocol: HTTP/1.1\nno TLS\n' "$plain/proto"
expect_body "https: ALPN settles on h2" $'protocol: HTTP/2\nalpn: h2\n' "${https[@]}" --http2 "$secure/proto"
check "https: the response is HTTP/2" 2 "$(curl -s -m 5 -o /dev/null -w '%{http_version}' "${https[@]}" --http2 "$secure/proto")"
expect_body "https: a client offering only http/1.1 gets it" $'protocol: HTTP/1.1\nalpn: http/1.1\n' \
  "${https[@]}" --http1.1 "$secure/proto"

# Routing and balancing as in tutorial 05, with HTTP/2 to the upstreams.
fetch "${h2c[@]}" "$plain/hi"; check "h2c: 1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "${h2c[@]}" "$plain/hi"; check "h2c: 2nd connection to /hi goes to 8082, over HTTP/2" "$ip_hi" "$REPLY"
expect_body "h2c: /ip/x reaches 8082 over HTTP/2" $'You are requesting /ip/x from 127.0.0.1 over HTTP/2\n' \
  "${h2c[@]}" "$plain/ip/x"
expect_body "HTTP/1.1 client, HTTP/2 upstream" $'You are requesting /ip/y from 127.0.0.1 over HTTP/2\n' "$plain/ip/y"
expect_body "https h2: /ip/x?q=1 keeps its query" $'You are requesting /ip/x?q=1 from 127.0.0.1 over HTTP/2\n' \
  "${https[@]}" --http2 "$secure/ip/x?q=1"
expect_status "h2c: /bad is 404" 404 "${h2c[@]}" "$plain/bad"
expect_body "h2c: /bad says No route" 'No route' "${h2c[@]}" "$plain/bad"

# Several requests as streams of one HTTP/2 connection (the 3rd connection to /hi: 8080). Over
# TLS: curl 7.88 cannot send a second request on a connection made by prior knowledge.
expect_body "https h2: three requests on one connection" "$hi$hi$hi" "${https[@]}" "$secure/hi" "$secure/hi" "$secure/hi"
check "https h2: ... and really one connection" 1 "$(connections "${https[@]}" "$secure/hi" "$secure/hi" "$secure/hi")"

# Bodies larger than HTTP/2's initial flow-control window (64 KiB) go both ways intact.
head -c 300000 /dev/urandom | base64 -w 0 >"$tmp/big"
check "h2c: a 400 KB POST to /echo comes back intact" "$(md5sum <"$tmp/big")" \
  "$(curl -s -m 10 "${h2c[@]}" --data-binary @"$tmp/big" "$plain/echo" | md5sum)"
check "https h2: a 400 KB POST to /echo comes back intact" "$(md5sum <"$tmp/big")" \
  "$(curl -s -m 10 "${https[@]}" --http2 --data-binary @"$tmp/big" "$secure/echo" | md5sum)"

((fail == 0))
