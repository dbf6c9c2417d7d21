// acceptTLS: the sub-pipeline sees the decrypted bytes; what it outputs is encrypted back.
pipy.listen(18425, $=>$
  .acceptTLS({
    certificate: {
      cert: new crypto.CertificateChain(pipy.load('cert.pem')),
      key: new crypto.PrivateKey(pipy.load('key.pem')),
    },
  }).to($=>$
    .serveHTTP(new Message('secure hello\n'))
  )
)
