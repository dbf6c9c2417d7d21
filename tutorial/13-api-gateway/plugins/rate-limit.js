// Plugin 3: refuses with 429 the requests over the rateLimit (requests a second) of their
// service. Services without a rateLimit, and unrouted requests, pass.

var config = JSON.decode(pipy.load('config.json'))

// One quota per limited service, shared by all the clients of that service.
var quotas = Object.fromEntries(
  Object.entries(config.services)
    .filter(([name, service]) => service.rateLimit)
    .map(([name, service]) => [name, new algo.Quota(service.rateLimit, { per: '1s' })])
)

pipy({
  _refused: false,
})

  .import({
    __service: 'gateway',
  })

  .pipeline()
  .handleMessageStart(
    () => _refused = quotas[__service]?.consume(1) === 0
  )
  .branch(
    () => _refused, (
      $=>$.replaceMessage(
        new Message({ status: 429 }, 'Too many requests')
      )
    ),
    (
      $=>$.chain()
    )
  )
