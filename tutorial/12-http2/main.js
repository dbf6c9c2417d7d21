// Tutorial 12: HTTP/2.
// The proxy of tutorial 11, now speaking HTTP/2 on both sides: clients may use HTTP/1.1 or
// HTTP/2 (in clear text on 8000, over TLS on 8443), and the proxy talks HTTP/2 to its upstreams,
// many requests at once over a single connection to each.
// Make cert.pem and key.pem first (see README.md).

var router = new algo.URLRouter({
  '/hi/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']),
  '/echo': new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']),
  '/ip/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']),
})

var certificate = {
  cert: new crypto.CertificateChain(pipy.load('cert.pem')),
  key: new crypto.PrivateKey(pipy.load('key.pem')),
}

pipy({
  _target: undefined,
  _path: undefined,
  _protocol: undefined,
})

  // Clear text: demuxHTTP tells HTTP/1.1 from HTTP/2 by the first bytes the client sends.
  .listen(8000)
  .demuxHTTP().to('request')

  // TLS: the client and acceptTLS agree on the protocol during the handshake (ALPN). 'h2' is
  // offered first, so a client that can speak HTTP/2 does; the others get HTTP/1.1.
  .listen(8443)
  .acceptTLS({
    certificate,
    alpn: ['h2', 'http/1.1'],
  }).to(
    $=>$.demuxHTTP().to('request')
  )

  // One request, whatever protocol it came in with.
  .pipeline('request')
  .handleMessageStart(
    msg => {
      _path = msg.head.path
      _protocol = msg.head.protocol
      _target = router.find(
        msg.head.headers.host || msg.head.authority,
        msg.head.path,
      )?.next()
    }
  )
  .branch(
    // /proto tells what this request came in with.
    () => _path === '/proto', (
      $=>$.replaceMessage(
        () => new Message(
          `protocol: ${_protocol}\n` + (
            __inbound.tls ? `alpn: ${__inbound.tls.alpn || '(none)'}\n` : 'no TLS\n'
          )
        )
      )
    ),

    // version: 2 makes muxHTTP speak HTTP/2 to the upstream: every request for one target
    // becomes a stream of one shared HTTP/2 connection.
    () => Boolean(_target), (
      $=>$.muxHTTP(() => _target, { version: 2 }).to(
        $=>$.connect(() => _target.id)
      )
    ),

    (
      $=>$.replaceMessage(
        new Message({ status: 404 }, 'No route')
      )
    )
  )
