// An access log in a format of your own: one line per request, written to standard output
// and shipped to a log collector over HTTP (batched, once a second).
var accessLog = new logging.TextLogger('access')
  .toStdout()
  .toHTTP('http://127.0.0.1:18362/logs')

var $request
var $started
var $status

pipy.listen(18360, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {
      $request = msg.head.method + ' ' + msg.head.path + ' ' + (msg.head.protocol || 'HTTP/1.1')
      $started = Date.now()
    })
    .muxHTTP().to($=>$.connect('127.0.0.1:18361'))
    .handleMessageStart(msg => { $status = msg.head.status })
    .handleMessageEnd(end => accessLog.log(
      __inbound.remoteAddress,
      '"' + $request + '"',
      $status,
      end.tail?.bodySize ?? 0,
      ((Date.now() - $started) / 1000).toFixed(3)
    ))
  )
)
