// Two things that take time: a rate limit of 2 requests a minute, which holds the requests
// over it until the quota refills, and a 30-second read timeout on the upstream (muxHTTP
// answers 504 when it fires). x-held-seconds says how long the rate limit held a request, by
// the script's clock.
var quota = new algo.Quota(2, { per: '60s' })
var $arrived, $held

pipy.listen(18394, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $arrived = Date.now() })
    .throttleMessageRate(quota)
    .handleMessageStart(() => { $held = Math.round((Date.now() - $arrived) / 1000) })
    .muxHTTP().to($=>$.connect('127.0.0.1:18395', { readTimeout: '30s' }))
    .handleMessageStart(res => { res.head.headers['x-held-seconds'] = String($held) })
  )
)
