// Tutorial 04: routing requests by URL path.
// One proxy port (8000) in front of the three services of backend.js (8080-8082).

// The routing table: a path pattern for each upstream address. '/hi/*' matches /hi and
// everything below it; '/echo' matches exactly /echo.
var router = new algo.URLRouter({
  '/hi/*': '127.0.0.1:8080',
  '/echo': '127.0.0.1:8081',
  '/ip/*': '127.0.0.1:8082',
})

// _target is a context variable: every request gets its own copy (demuxHTTP clones
// the context for each request), so concurrent requests never see each other's value.
pipy({
  _target: undefined,
})

  .listen(8000)
  .demuxHTTP().to(
    $=>$

    // Look the request up in the routing table as soon as its head arrives.
    .handleMessageStart(
      msg => _target = router.find(
        msg.head.headers.host,
        msg.head.path,
      )
    )

    // Two ways out: forward to the chosen upstream, or answer 404 ourselves.
    .branch(
      () => Boolean(_target), (
        // The muxHTTP key (_target) picks the upstream connection pool, so requests
        // for different targets never share a connection.
        $=>$.muxHTTP(() => _target).to(
          $=>$.connect(() => _target)
        )
      ),
      (
        $=>$.replaceMessage(
          new Message({ status: 404 }, 'No route')
        )
      )
    )
  )
