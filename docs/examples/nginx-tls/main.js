// TLS termination: HTTPS on 18350 with the certificate and key of the codebase, plain HTTP
// to the upstream, and plain HTTP on 18352 redirected to HTTPS.
var certificate = {
  cert: new crypto.CertificateChain(pipy.load('cert.pem')),
  key: new crypto.PrivateKey(pipy.load('key.pem')),
}

pipy.listen(18350, $=>$
  .acceptTLS({ certificate }).to($=>$
    .demuxHTTP().to($=>$
      .handleMessageStart(msg => { msg.head.headers['x-forwarded-proto'] = 'https' })
      .muxHTTP().to($=>$.connect('127.0.0.1:18351'))
    )
  )
)

pipy.listen(18352, $=>$
  .serveHTTP(req => new Message({
    status: 301,
    headers: { location: 'https://' + req.head.headers.host.split(':')[0] + ':18350' + req.head.path },
  }))
)
