// Plugin 4: if the router found a service, forwards the request to one of its upstreams,
// in turn; otherwise passes the request on to the next plugin.

var config = JSON.decode(pipy.load('config.json'))

// One round-robin balancer per service name.
var balancers = Object.fromEntries(
  Object.entries(config.services).map(
    ([name, service]) => [name, new algo.RoundRobinLoadBalancer(service.targets)]
  )
)

pipy({
  _target: undefined,
})

  .import({
    __service: 'gateway',
  })

  .pipeline()
  .handleMessageStart(
    () => _target = __service ? balancers[__service]?.next() : undefined
  )
  .branch(
    () => Boolean(_target), (
      $=>$.muxHTTP(() => _target).to(
        $=>$.connect(() => _target.id)
      )
    ),
    (
      $=>$.chain()
    )
  )
