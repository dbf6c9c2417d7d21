// compress gzips the Data stream (message boundaries are dropped), decompress undoes
// it: here the response body goes through both, and comes out as it was.
var $zipped = 0

pipy.listen(18744, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(msg => msg.body)
    .compress('gzip')
    .handleData(data => { $zipped += data.size })
    .decompress('gzip')
    .replaceStreamEnd(() => [])
    .handleData(() => {})
    .replaceData(data => [new MessageStart({ headers: { 'x-gzip': 'yes' } }), data, new MessageEnd])
  )
)
