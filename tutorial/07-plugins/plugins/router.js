// Plugin 1: finds which service a request is for and records it in __route.
// It never answers a request itself; it always passes it on.

var config = pipy.solve('config.js')
var router = new algo.URLRouter(config.routes)

pipy()

  .import({
    __route: 'main',
  })

  // .pipeline() with no name declares the module's entrance: the pipeline that chain()
  // runs when the chain reaches this module.
  .pipeline()
  .handleMessageStart(
    msg => __route = router.find(
      msg.head.headers.host,
      msg.head.path,
    )
  )

  // Continue with the next plugin in the list.
  .chain()
