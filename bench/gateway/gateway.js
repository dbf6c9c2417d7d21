// Workload (k), the scripted gateway, Sluice's side (bench/README.md). bench/run fills in the
// @...@ placeholders: the listening port, the six upstream ports and the access-log file.
//
// Per request: a bearer-token check against a map (401 otherwise), a route by path prefix
// (algo.URLRouter) to one of three upstream groups, round robin inside the group, an added
// request header (x-gateway) and response header (x-served-by), keep-alive upstream
// connections, and one JSON access-log line written to a file.

var tokens = new Map([
  ['token-alice', 'alice'],
  ['token-bob', 'bob'],
  ['token-carol', 'carol'],
])

var router = new algo.URLRouter({
  '/api/users/*': 'users',
  '/api/orders/*': 'orders',
  '/*': 'web',
})

var balancers = {
  users: new algo.RoundRobinLoadBalancer(['127.0.0.1:@USERS1@', '127.0.0.1:@USERS2@']),
  orders: new algo.RoundRobinLoadBalancer(['127.0.0.1:@ORDERS1@', '127.0.0.1:@ORDERS2@']),
  web: new algo.RoundRobinLoadBalancer(['127.0.0.1:@WEB1@', '127.0.0.1:@WEB2@']),
}

var accessLog = new logging.JSONLogger('access').toFile('@LOG@')

var log = (status, upstream) => accessLog.log({
  time: new Date().toISOString(),
  client: _client || '-',
  method: _method,
  path: _path,
  group: _group || '-',
  upstream: upstream || '-',
  status,
  ms: Date.now() - _start,
})

pipy({
  _start: 0,
  _method: '',
  _path: '',
  _client: undefined,
  _group: undefined,
  _target: undefined,
})

  .listen('127.0.0.1:@PORT@')
  .demuxHTTP().to(
    $=>$.handleMessageStart(
      msg => {
        var head = msg.head
        var auth = head.headers.authorization
        _start = Date.now()
        _method = head.method
        _path = head.path
        _client = auth && auth.startsWith('Bearer ') ? tokens.get(auth.substring(7)) : undefined
        if (_client) {
          _group = router.find(head.path)
          _target = balancers[_group].select()
          head.headers['x-gateway'] = 'sluice'
        }
      }
    )
    .branch(
      () => Boolean(_client), (
        $=>$.muxHTTP(() => _target).to(
          $=>$.connect(() => _target)
        )
        .handleMessageStart(
          msg => {
            msg.head.headers['x-served-by'] = _target
            log(msg.head.status, _target)
          }
        )
      ), (
        $=>$.replaceMessage(
          () => {
            log(401)
            return new Message({ status: 401, headers: { 'www-authenticate': 'Bearer' } }, 'unauthorized\n')
          }
        )
      )
    )
  )
