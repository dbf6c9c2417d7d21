// throttleDataRate lets bytes through as fast as a quota allows: 1000 bytes a second
// here, so an upload of 2500 bytes takes two seconds to get through (of the test's clock).
var quota = new algo.Quota(1000, { per: '1s' })
var $start

pipy.listen(18672, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $start = Date.now() })
    .throttleDataRate(quota)
    .replaceMessage(msg => new Message(
      `${msg.body.size} bytes in ${Math.round((Date.now() - $start) / 1000)} s\n`
    ))
  )
)
