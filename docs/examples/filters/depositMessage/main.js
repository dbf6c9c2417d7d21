// depositMessage spools message bodies larger than a threshold to a file and outputs
// them from it at the message end, so a large upload does not stay in memory: here bodies
// over 1 KiB go to spool.tmp (removed after use).
pipy.listen(18766, $=>$
  .demuxHTTP().to($=>$
    .depositMessage('spool.tmp', { threshold: '1k' })
    .replaceMessage(msg => new Message(`stored ${msg.body.size} bytes\n`))
  )
)
