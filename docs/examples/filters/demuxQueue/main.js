// demuxQueue, like demux, runs a sub-pipeline per message and queues the replies out in
// message order, even when a later one is ready first: each line here waits n hundredths of
// a second before its answer.
var $n

pipy.listen(18724, $=>$
  .split('\n')
  .demuxQueue().to($=>$
    .replaceMessage(msg => { $n = Number(msg.body.toString()); return msg })
    .wait(() => new Timeout($n / 100).wait())
    .replaceMessage(() => new Message(`${$n}\n`))
  )
  .replaceMessage(msg => msg.body)
)
