// handleTLSClientHello tells a callback the server name (SNI) and ALPN names of a TLS
// ClientHello, and passes the stream on untouched: here it chooses nothing, but the name is
// passed to the HTTP answer.
var $sni

pipy.listen(18778, $=>$
  .handleTLSClientHello(hello => { $sni = hello.serverNames[0] })
  .acceptTLS({
    certificate: {
      cert: new crypto.CertificateChain(pipy.load('cert.pem')),
      key: new crypto.PrivateKey(pipy.load('key.pem')),
    },
  }).to($=>$
    .serveHTTP(() => new Message(`you asked for ${$sni}\n`))
  )
)
