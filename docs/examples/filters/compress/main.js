// compress compresses the Data stream with gzip or deflate (message boundaries are
// dropped; the end of the stream flushes it): here an endpoint answers with the size of
// the gzip of what was posted, and its first two bytes, gzip's magic number.
var $gzip

pipy.listen(18744, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $gzip = new Data })
    .replaceMessage(msg => msg.body)
    .compress('gzip')
    .handleData(data => $gzip.push(data))
    .replaceData(() => [])
    .replaceStreamEnd(end => [new Message(
      `gzip: ${$gzip.size} bytes, starting ${$gzip.toArray().slice(0, 2).map(b => b.toString(16)).join(' ')}\n`
    ), end])
  )
)
