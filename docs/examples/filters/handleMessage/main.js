// handleMessage sees each whole message (head and body) as it passes, without changing it.
var $size

pipy.listen(18440, $=>$
  .demuxHTTP().to($=>$
    .handleMessage(req => { $size = req.body.size })
    .replaceMessage(() => new Message({ headers: { 'x-request-size': String($size) } }, 'got it\n'))
  )
)
