// handleData sees every Data event: here it adds up the body bytes of an upload.
var $bytes = 0

pipy.listen(18616, $=>$
  .demuxHTTP().to($=>$
    .handleData(data => { $bytes += data.size })
    .replaceMessage(() => new Message(`received ${$bytes} bytes\n`))
  )
)
