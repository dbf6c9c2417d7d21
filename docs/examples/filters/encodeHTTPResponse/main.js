// decodeHTTPRequest and encodeHTTPResponse make an HTTP/1 server by hand, one request
// per connection, without demuxHTTP: the bytes are decoded into a request message, a
// response message is made, and encodeHTTPResponse turns it into bytes.
pipy.listen(18750, $=>$
  .decodeHTTPRequest()
  .replaceMessage(req => new Message(
    { status: 200, headers: { 'content-type': 'text/plain', connection: 'close' } },
    `you asked for ${req.head.path}\n`
  ))
  .encodeHTTPResponse()
)
