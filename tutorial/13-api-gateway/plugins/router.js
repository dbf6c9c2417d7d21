// Plugin 2: finds the service a request is for and records it in __service.
// It never answers a request itself; it always passes it on.

var config = JSON.decode(pipy.load('config.json'))
var router = new algo.URLRouter(config.routes)

pipy()

  .import({
    __service: 'gateway',
  })

  .pipeline()
  .handleMessageStart(
    msg => __service = router.find(
      msg.head.headers.host,
      msg.head.path,
    )
  )
  .chain()
