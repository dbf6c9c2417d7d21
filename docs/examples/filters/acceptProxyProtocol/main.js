// acceptProxyProtocol reads the PROXY protocol header a load balancer puts before the
// stream, asks a handler whether to accept, and passes the rest on: here the client's real
// address is taken from the header and shown in the answer.
var $client

pipy.listen(18846, $=>$
  .acceptProxyProtocol(header => { $client = header.sourceAddress; return true })
  .to($=>$
    .serveHTTP(() => new Message(`your address: ${$client}\n`))
  )
)
