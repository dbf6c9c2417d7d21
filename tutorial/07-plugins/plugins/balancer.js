// Plugin 2: if the router found a service, picks one of its upstreams and forwards the
// request there; otherwise passes the request on to the next plugin.

var config = pipy.solve('config.js')

// One round-robin balancer per service name.
var services = Object.fromEntries(
  Object.entries(config.services).map(
    ([name, targets]) => [name, new algo.RoundRobinLoadBalancer(targets)]
  )
)

pipy({
  _target: undefined,
})

  .import({
    __route: 'main',
  })

  .pipeline()
  .handleMessageStart(
    () => _target = __route ? services[__route]?.next() : undefined
  )
  .branch(
    () => Boolean(_target), (
      $=>$.muxHTTP(() => _target).to(
        $=>$.connect(() => _target.id)
      )
    ),
    (
      // Not ours: let the rest of the chain deal with it.
      $=>$.chain()
    )
  )
