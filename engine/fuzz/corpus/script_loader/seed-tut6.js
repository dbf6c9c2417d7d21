// Tutorial 06: the proxy of tutorial 05, driven by a configuration file.
// Nothing about ports, paths or addresses is written in the code any more.

// pipy.load reads a file of the codebase (the folder of this script) as Data;
// JSON.decode turns that Data into a value.
var config = JSON.decode(pipy.load('config.json'))

// Build one round-robin balancer per route from the lists of targets in the file.
var router = new algo.URLRouter(
  Object.fromEntries(
    Object.entries(config.routes).map(
      ([path, targets]) => [path, new algo.RoundRobinLoadBalancer(targets)]
    )
  )
)

pipy({
  _target: undefined,
})

  .listen(config.listen)
  .demuxHTTP().to(
    $=>$
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
