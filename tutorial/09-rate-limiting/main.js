// Tutorial 09: rate limiting.
// Each route of the proxy may now carry a quota: a throttle (requests over the rate wait) or a
// hard limit (requests over the rate are refused with 429).

var router = new algo.URLRouter({
  '/hi/*': {
    balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']),
    // Throttled: 5 requests a second go through, the others wait for the next second.
    throttle: new algo.Quota(5, { per: '1s' }),
  },
  '/echo': {
    balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']),
  },
  '/ip/*': {
    balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']),
    // Hard limit: 3 requests a second go through, the others are refused.
    limit: new algo.Quota(3, { per: '1s' }),
  },
})

pipy({
  _route: undefined,
  _target: undefined,
  _refused: false,
})

  .listen(8000)
  .demuxHTTP().to(
    $=>$
    .handleMessageStart(
      msg => {
        _route = router.find(
          msg.head.headers.host,
          msg.head.path,
        )
        // consume(1) takes one unit from the quota and returns how much it really took:
        // 0 means the quota is used up for this second.
        _refused = _route?.limit?.consume(1) === 0
        _target = _refused ? undefined : _route?.balancer.next()
      }
    )

    .branch(
      () => _refused, (
        $=>$.replaceMessage(
          new Message({ status: 429 }, 'Too many requests')
        )
      ),

      // A throttled route: hold the request until its quota allows it, then forward it.
      () => Boolean(_target && _route.throttle), (
        $=>$.throttleMessageRate(() => _route.throttle)
        .link('forward')
      ),

      () => Boolean(_target), 'forward',

      (
        $=>$.replaceMessage(
          new Message({ status: 404 }, 'No route')
        )
      )
    )
  )

  // The forwarding of tutorial 05, shared by two branches.
  .pipeline('forward')
  .muxHTTP(() => _target).to(
    $=>$.connect(() => _target.id)
  )
