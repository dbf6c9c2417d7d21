// muxHTTP sends requests over pooled connections to an upstream, here one pool per API version.
var $upstream

pipy.listen(18403, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {
      $upstream = msg.head.path.startsWith('/v2/') ? '127.0.0.1:18405' : '127.0.0.1:18404'
    })
    .muxHTTP(() => $upstream).to($=>$
      .connect(() => $upstream)
    )
  )
)
