// replaceMessageEnd replaces the end of each message: an end can carry a payload, which
// this turns into a trailing line of the body.
pipy.listen(18644, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(msg => new Message(msg.body))
    .replaceMessageEnd(() => [new Data('-- end of message\n'), new MessageEnd])
  )
)
