// Tutorial 13: an API gateway.
// HTTPS in front, then a chain of plugins for each request: authentication, routing, rate
// limiting, load balancing, and a 404 for whatever is left. Everything is set in config.json.
// Make cert.pem and key.pem first (see README.md).

var config = JSON.decode(pipy.load('config.json'))

var certificate = {
  cert: new crypto.CertificateChain(pipy.load(config.certificate.cert)),
  key: new crypto.PrivateKey(pipy.load(config.certificate.key)),
}

pipy()

  // The service the router finds for a request, shared by the plugins that need it.
  .export('gateway', {
    __service: undefined,
  })

  .listen(config.listen)
  .acceptTLS({ certificate }).to(
    $=>$.demuxHTTP().to(
      $=>$.chain(config.plugins)
    )
  )
