// decompressHTTP inflates gzip, deflate or br message bodies and removes content-encoding:
// here the upstream only speaks gzip, and the proxy unzips its answers for the clients.
pipy.listen(18762, $=>$
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$.connect('127.0.0.1:18763'))
    .handleMessageStart(res => { res.head.headers['x-upstream-encoding'] = res.head.headers['content-encoding'] })
    .decompressHTTP()
  )
)

// The gzip-only upstream.
pipy.listen(18763, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(new Message('plain text, once unzipped\n'))
    .compressHTTP('gzip')
  )
)
