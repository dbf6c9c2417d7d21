// compress compresses the Data stream with gzip or deflate (message boundaries are
// dropped): here an endpoint answers with the size of the gzip of what was posted, and its
// first two bytes, gzip's magic number.
pipy.listen(18744, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(msg => msg.body)
    .compress('gzip')
    .replaceData(data => new Message(
      `gzip: ${data.size} bytes, starting ${data.toArray().slice(0, 2).map(b => b.toString(16)).join(' ')}\n`
    ))
  )
)
