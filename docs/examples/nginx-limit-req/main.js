// limit_req: each client address gets a bucket of 3 requests, refilled by one every 30
// seconds (2 a minute). A request that finds the bucket empty is refused with 429.
var buckets = new algo.Cache(
  () => new algo.Quota(3, { produce: 1, per: '30s' }),
  null,
  { size: 10000 }
)

pipy.listen(18340, $=>$
  .demuxHTTP().to($=>$
    .branchMessageStart(
      () => buckets.get(__inbound.remoteAddress).consume(1) === 0, (
        $=>$.replaceMessage(new Message({ status: 429 }, 'slow down\n'))
      ),
      ($=>$.muxHTTP().to($=>$.connect('127.0.0.1:18341')))
    )
  )
)
