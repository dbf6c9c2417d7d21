// handleMessageStart sees each message's head as it passes, and may change it.
pipy.listen(18408, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {
      msg.head.headers['x-request-id'] = 'req-' + Math.floor(Math.random() * 1e9)
      msg.head.headers['x-seen-path'] = msg.head.path
    })
    .muxHTTP().to($=>$.connect('127.0.0.1:18409'))
  )
)
