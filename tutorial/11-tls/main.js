// Tutorial 11: TLS.
// The proxy of tutorial 05 also accepts HTTPS on port 8443: TLS is terminated here, and the
// decrypted requests are routed and forwarded exactly like the plain ones of port 8000.
// Make cert.pem and key.pem first (see README.md).

var router = new algo.URLRouter({
  '/hi/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']),
  '/echo': new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']),
  '/ip/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']),
})

// The server's certificate chain and private key, read from PEM files of the codebase.
var certificate = {
  cert: new crypto.CertificateChain(pipy.load('cert.pem')),
  key: new crypto.PrivateKey(pipy.load('key.pem')),
}

pipy({
  _target: undefined,
  _path: undefined,
})

  // Plain HTTP, as before.
  .listen(8000)
  .demuxHTTP().to('request')

  // HTTPS: acceptTLS decrypts the bytes coming in and encrypts those going out; its
  // sub-pipeline sees plain HTTP and handles it like port 8000 does.
  .listen(8443)
  .acceptTLS({ certificate }).to(
    $=>$.demuxHTTP().to('request')
  )

  // One request, from either port.
  .pipeline('request')
  .handleMessageStart(
    msg => {
      _path = msg.head.path
      _target = router.find(
        msg.head.headers.host,
        msg.head.path,
      )?.next()
    }
  )
  .branch(
    // /tls tells what the TLS handshake of this connection settled.
    () => _path === '/tls', (
      $=>$.replaceMessage(
        () => new Message(
          __inbound.tls
            ? `protocol: ${__inbound.tls.protocol}\nserver name: ${__inbound.tls.serverName || '(none)'}\n`
            : 'not TLS\n'
        )
      )
    ),
    () => Boolean(_target), (
      $=>$.muxHTTP(() => _target).to(
        $=>$.connect(() => _target.id)
      )
    ),
    (
      $=>$.replaceMessage(
        new Message({ status: 404 }, 'No route')
      )
    )
  )
