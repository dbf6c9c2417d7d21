// replaceMessageStart puts a new head in place of each message's head; the body passes on.
pipy.listen(18421, $=>$
  .demuxHTTP().to($=>$
    .replaceMessageStart(start => new MessageStart({
      ...start.head,
      path: '/v2' + start.head.path,
      headers: { ...start.head.headers, 'x-rewritten': 'yes' },
    }))
    .muxHTTP().to($=>$.connect('127.0.0.1:18422'))
  )
)
