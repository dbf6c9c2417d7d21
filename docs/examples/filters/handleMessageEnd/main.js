// handleMessageEnd sees each MessageEnd; for HTTP its tail has the body size and trailers.
var $bodySize

pipy.listen(18441, $=>$
  .demuxHTTP().to($=>$
    .handleMessageEnd(end => { $bodySize = end.tail?.bodySize })
    .replaceMessage(() => new Message('body of ' + $bodySize + ' bytes\n'))
  )
)
