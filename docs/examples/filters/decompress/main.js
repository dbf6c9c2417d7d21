// decompress inflates a gzip, deflate (zlib) or brotli Data stream (message boundaries
// are dropped): here an endpoint takes a gzip file sent as base64 text and answers with
// its content.
pipy.listen(18758, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(msg => new Data(msg.body.toString(), 'base64'))
    .decompress('gzip')
    .replaceData(data => new Message(`inflated: ${data.toString()}`))
  )
)
