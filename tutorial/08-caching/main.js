// Tutorial 08: caching.
// The proxy of tutorial 05 keeps the responses to GET requests for a short while and answers
// repeated requests itself, without asking an upstream again.

var router = new algo.URLRouter({
  '/hi/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8080', '127.0.0.1:8082']),
  '/echo': new algo.RoundRobinLoadBalancer(['127.0.0.1:8081']),
  '/ip/*': new algo.RoundRobinLoadBalancer(['127.0.0.1:8082']),
})

// Request path -> { status, body } of the response. No allocator and no free callback are
// needed; ttl makes an entry expire 1 s after it was stored (short, to be easy to try).
var cache = new algo.Cache(null, null, { ttl: '1s' })

pipy({
  _target: undefined,
  _key: undefined,
  _cached: undefined,
})

  .listen(8000)
  .demuxHTTP().to(
    $=>$

    // Only GET requests are cached, by path. A hit needs no upstream at all.
    .handleMessageStart(
      msg => {
        _key = msg.head.method === 'GET' ? msg.head.path : undefined
        _cached = _key && cache.get(_key)
        if (!_cached) {
          _target = router.find(
            msg.head.headers.host,
            msg.head.path,
          )?.next()
        }
      }
    )

    .branch(
      // Hit: answer with a copy of the stored response.
      () => Boolean(_cached), (
        $=>$.replaceMessage(
          () => new Message(
            { status: _cached.status, headers: { 'x-cache': 'hit' } },
            _cached.body
          )
        )
      ),

      // Miss: forward as before, then store a successful response on its way back.
      () => Boolean(_target), (
        $=>$.muxHTTP(() => _target).to(
          $=>$.connect(() => _target.id)
        )
        .replaceMessage(
          msg => {
            if (!_key) return msg
            if (msg.head.status === 200) {
              cache.set(_key, { status: msg.head.status, body: msg.body })
            }
            return new Message(
              { status: msg.head.status, headers: { 'x-cache': 'miss' } },
              msg.body
            )
          }
        )
      ),

      (
        $=>$.replaceMessage(
          new Message({ status: 404 }, 'No route')
        )
      )
    )
  )
