// Tutorial 05: load balancing.
// Each route now leads to a load balancer holding one or more upstream addresses.

var router = new algo.URLRouter({
  '/hi/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']),
  '/echo': new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']),
  '/ip/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']),
})

pipy({
  _target: undefined,
})

  .listen(8000)
  .demuxHTTP().to(
    $=>$

    // find() gives the balancer of the route (or undefined), and next() picks a target
    // from it, returned as an object { id: 'host:port' }. The choice is sticky: all the
    // requests of one client connection get the same target.
    .handleMessageStart(
      msg => _target = router.find(
        msg.head.headers.host,
        msg.head.path,
      )?.next()
    )

    .branch(
      () => Boolean(_target), (
        $=>$.muxHTTP(() => _target).to(
          $=>$.connect(() => _target.id)
        )
      ),
      (
        $=>$.replaceMessage(
          new Message({ status: 404 }, 'No route')
        )
      )
    )
  )
