// connectTLS: the sub-pipeline's bytes go out encrypted. Port 18450 proxies plain HTTP to an
// HTTPS server, which 18449 plays here.
pipy.listen(18449, $=>$
  .acceptTLS({
    certificate: {
      cert: new crypto.CertificateChain(pipy.load('cert.pem')),
      key: new crypto.PrivateKey(pipy.load('key.pem')),
    },
  }).to($=>$
    .serveHTTP(req => new Message('over TLS: ' + req.head.path + '\n'))
  )
)

pipy.listen(18450, $=>$
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$
      .connectTLS({ sni: 'localhost' }).to($=>$
        .connect('127.0.0.1:18449')
      )
    )
  )
)
