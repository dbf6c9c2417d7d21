// Each connection has its own context: $requests counts the requests of one connection,
// while `served`, an ordinary variable of the module, counts every request the worker serves.
var served = 0
var $requests = 0

pipy.listen(18380, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(msg => {
      served++
      $requests++
      return new Message(
        { headers: { 'content-type': 'application/json' } },
        JSON.stringify({ path: msg.head.path, connection: $requests, worker: served })
      )
    })
  )
)
