// encodeHTTPRequest turns request messages into bytes, decodeHTTPResponse turns the answer's
// bytes back into a message: a one-request-per-connection client, by hand.
pipy.listen(18451, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(req => { req.head.headers.connection = 'close' })
    .encodeHTTPRequest()
    .connect('127.0.0.1:18452')
    .decodeHTTPResponse()
  )
)
