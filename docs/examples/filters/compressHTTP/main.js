// compressHTTP compresses message bodies and sets content-encoding; decompressHTTP undoes it.
// Responses from the upstream are gzipped on their way out, then unzipped again to show it.
pipy.listen(18444, $=>$
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$.connect('127.0.0.1:18445'))
    .compressHTTP('gzip')
    .handleMessageStart(res => { res.head.headers['x-was-encoded'] = res.head.headers['content-encoding'] })
    .decompressHTTP()
  )
)
