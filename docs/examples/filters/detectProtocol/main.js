// detectProtocol tells a callback which protocol a stream speaks (HTTP, HTTP2, TLS or
// ''): here one port serves HTTP and a plain line protocol side by side.
var $protocol

pipy.listen(18770, $=>$
  .detectProtocol(p => { $protocol = p })
  .branch(
    () => $protocol === 'HTTP', ($=>$
      .serveHTTP(new Message('hello over HTTP\n'))
    ),
    ($=>$.replaceData(data => new Data(`line: ${data.toString()}`)))
  )
)
