// Tutorial 10: logging and metrics.
// The proxy of tutorial 05 counts the requests of each route, measures how long they take,
// and writes one JSON line per request to a log file.
// Run it with the admin port open to read the metrics:  engine main.js --admin-port=6060

var router = new algo.URLRouter({
  '/hi/*': { name: 'hi', balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']) },
  '/echo': { name: 'echo', balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']) },
  '/ip/*': { name: 'ip', balancer: new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']) },
})

// Metrics, published by the admin port at /metrics. Each label value gets its own series.
var requests = new stats.Counter('tutorial_requests', ['route'])
var latency = new stats.Histogram(
  'tutorial_latency_ms',
  [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  ['route']
)

// One JSON object per line, appended to requests.log in the directory the engine runs in.
var logger = new logging.JSONLogger('requests').toFile('requests.log')

pipy({
  _route: undefined,
  _target: undefined,
  _start: 0,
  _request: undefined,
  _status: 0,
})

  .listen(8000)

  // accessLog: the engine also writes one line per response to its own log.
  .demuxHTTP({ accessLog: true }).to(
    $=>$
    .handleMessageStart(
      msg => {
        _start = Date.now()
        _request = msg.head
        _route = router.find(
          msg.head.headers.host,
          msg.head.path,
        )
        _target = _route?.balancer.next()
        requests.withLabels(_route?.name || 'none').increase()
      }
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

    // From here on the events are those of the response.
    .handleMessageStart(
      msg => _status = msg.head.status
    )
    .handleMessageEnd(
      () => {
        var ms = Date.now() - _start
        latency.withLabels(_route?.name || 'none').observe(ms)
        logger.log({
          time: new Date(_start).toISOString(),
          client: __inbound.remoteAddress,
          method: _request.method,
          path: _request.path,
          route: _route?.name || null,
          upstream: _target?.id || null,
          status: _status,
          ms,
        })
      }
    )
  )
