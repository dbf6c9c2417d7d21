// handleStreamStart runs once, on the first event of a stream: here it notes when each
// request started, to time it.
var $started

pipy.listen(18624, $=>$
  .demuxHTTP().to($=>$
    .handleStreamStart(() => { $started = Date.now() })
    .replaceMessage(msg => new Message(
      { headers: { 'x-started': $started > 0 ? 'yes' : 'no' } },
      msg.head.path + '\n'
    ))
  )
)
