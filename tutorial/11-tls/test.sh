#!/usr/bin/env bash
# Tests tutorial 11-tls: HTTPS on 8443 terminated by acceptTLS (with a self-signed certificate
# made here by openssl), routed like plain HTTP on 8000; __inbound.tls shown at /tls.
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
https=(--cacert "$here/cert.pem" --resolve localhost:8443:127.0.0.1)
secure=https://localhost:8443
plain=http://127.0.0.1:8000
hi=$'Hi, there!\n'
ip_hi=$'You are requesting /hi from 127.0.0.1\n'

# Over TLS the proxy behaves as in tutorial 05.
fetch "${https[@]}" "$secure/hi"; check "https: 1st connection to /hi goes to 8080" "$hi" "$REPLY"
fetch "${https[@]}" "$secure/hi"; check "https: 2nd connection to /hi goes to 8082" "$ip_hi" "$REPLY"
expect_body "https: one connection stays on one target (8080)" "$hi$hi$hi" \
  "${https[@]}" "$secure/hi" "$secure/hi" "$secure/hi"
expect_body "https: /echo goes to 8081" 'secret' "${https[@]}" -d secret "$secure/echo"
expect_status "https: /bad is 404" 404 "${https[@]}" "$secure/bad"
expect_body "https: the response is the plain HTTP one, encrypted" \
  $'HTTP/1.1 404 Not Found\r\ncontent-length: 8\r\nconnection: keep-alive\r\n\r\nNo route' \
  -i "${https[@]}" "$secure/bad"

# __inbound.tls: what the handshake settled.
expect_body "/tls: TLS 1.3 with server name localhost" $'protocol: TLSv1.3\nserver name: localhost\n' \
  "${https[@]}" "$secure/tls"
expect_body "/tls: TLS 1.2 when the client offers no more" $'protocol: TLSv1.2\nserver name: localhost\n' \
  "${https[@]}" --tls-max 1.2 "$secure/tls"
expect_body "/tls: no server name when the client asks for an IP address" \
  $'protocol: TLSv1.3\nserver name: (none)\n' --cacert "$here/cert.pem" https://127.0.0.1:8443/tls
expect_body "/tls on the plain port: not TLS" $'not TLS\n' "$plain/tls"

# The certificate really is checked, and the plain port still answers.
check "https without --cacert: curl rejects the certificate (exit 60)" 60 \
  "$(curl -s -m 5 -o /dev/null --resolve localhost:8443:127.0.0.1 "$secure/hi"; echo $?)"
expect_body "plain http: /ip/x goes to 8082" $'You are requesting /ip/x from 127.0.0.1\n' "$plain/ip/x"

((fail == 0))
