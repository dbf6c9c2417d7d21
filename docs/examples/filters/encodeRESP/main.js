// encodeRESP turns message payloads into Redis (RESP) values; decodeRESP reads them back.
// Here a command is encoded, sent to a Redis-speaking service, and its reply decoded.
pipy.listen(18786, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => [new MessageStart, new MessageEnd(null, ['GET', req.head.path.substring(1)])])
    .encodeRESP()
    .connect('127.0.0.1:18787')
    .decodeRESP()
    .replaceMessage(reply => new Message(`reply: ${reply.payload}\n`))
  )
)

// A tiny key-value service speaking RESP.
var store = { greeting: 'hello' }
pipy.listen(18787, $=>$
  .decodeRESP()
  .replaceMessage(cmd => [new MessageStart, new MessageEnd(null, store[cmd.payload[1].toString()] || null)])
  .encodeRESP()
)
