// decodeHTTPRequest turns bytes into request messages, encodeHTTPResponse turns response
// messages into bytes: serveHTTP without the help (no keep-alive bookkeeping of its own).
pipy.listen(18430, $=>$
  .decodeHTTPRequest()
  .replaceMessage(req => new Message(
    { headers: { connection: 'close' } },
    'decoded ' + req.head.method + ' ' + req.head.path + '\n'
  ))
  .encodeHTTPResponse()
)
