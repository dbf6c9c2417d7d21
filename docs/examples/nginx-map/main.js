// map: choose the upstream from a request header. Exact values are looked up in an object,
// patterns are tried in order, and anything else gets the default.
var exact = {
  'beta': '127.0.0.1:18372',
}
var patterns = [
  [/^2\./, '127.0.0.1:18372'],
]
var fallback = '127.0.0.1:18371'

function backendFor(version) {
  if (version in exact) return exact[version]
  var found = patterns.find(([re]) => re.test(version))
  return found ? found[1] : fallback
}

var $backend

pipy.listen(18370, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {
      $backend = backendFor(msg.head.headers['x-client-version'] || '')
    })
    .muxHTTP(() => $backend).to($=>$.connect(() => $backend))
  )
)
