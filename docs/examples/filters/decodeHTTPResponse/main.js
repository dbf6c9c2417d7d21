// decodeHTTPResponse turns the bytes of an HTTP/1 answer into a message: here a health
// probe written by hand asks an upstream for /healthz and reports its status as JSON.
pipy.listen(18754, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(new Message({ method: 'GET', path: '/healthz', headers: { host: 'app', connection: 'close' } }))
    .encodeHTTPRequest()
    .connect('127.0.0.1:18755')
    .decodeHTTPResponse()
    .replaceMessage(res => new Message(JSON.stringify({ upstream: res.head.status, size: res.body.size })))
  )
)
