// throttleMessageRate lets messages through as fast as a quota allows: 2 requests a
// minute here. The ones over it wait for the refill (the test moves the clock on a minute).
var quota = new algo.Quota(2, { per: '60s' })

pipy.listen(18668, $=>$
  .demuxHTTP().to($=>$
    .throttleMessageRate(quota)
    .replaceMessage(msg => new Message(`passed: ${msg.head.path}\n`))
  )
)
