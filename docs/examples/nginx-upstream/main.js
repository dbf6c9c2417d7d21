// An upstream group: weighted round robin over two servers, and a backup server that takes a
// request when the server chosen for it cannot be reached.
var servers = new algo.RoundRobinLoadBalancer({
  '127.0.0.1:18331': 2,
  '127.0.0.1:18332': 1,
})
var backup = '127.0.0.1:18333'

var $target
var $attempt

pipy.listen(18330, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => {
      $target = servers.next().id
    })
    .replay().to($=>$
      .handleMessageStart(() => { $attempt = { failed: false } })
      .muxHTTP(() => $target).to($=>$
        .connect(() => $target)
        // The connection ended with an error: refused, reset, timed out.
        .handleStreamEnd(end => { if (end.error) $attempt.failed = true })
      )
      .replaceMessage(msg => {
        if ($attempt.failed && $target !== backup) {
          $target = backup
          return new StreamEnd('Replay') // send the same request again, to the backup
        }
        return msg
      })
    )
  )
)
