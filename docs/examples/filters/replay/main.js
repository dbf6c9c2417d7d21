// replay runs its sub-pipeline again, with the same input, when it ends with
// StreamEnd('Replay'): here a request is tried until the upstream stops answering 503.
var $tries = 0

pipy.listen(18427, $=>$
  .demuxHTTP().to($=>$
    .replay({ delay: 0.05 }).to($=>$
      .handleMessageStart(() => $tries++)
      .muxHTTP().to($=>$.connect('127.0.0.1:18428'))
      .replaceMessage(res => res.head.status === 503 && $tries < 3
        ? new StreamEnd('Replay')
        : new Message({ status: res.head.status, headers: { 'x-tries': String($tries) } }, res.body)
      )
    )
  )
)
