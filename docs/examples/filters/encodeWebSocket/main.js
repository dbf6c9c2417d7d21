// encodeWebSocket turns messages with heads {opcode, masked} into WebSocket frames, and
// decodeWebSocket reads them back: here a round trip, reporting what was decoded.
pipy.listen(18794, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({ opcode: 1, masked: true }, req.body))
    .encodeWebSocket()
    .handleData(frame => { $frameSize = frame.size })
    .decodeWebSocket()
    .replaceMessage(msg => new Message(JSON.stringify({
      opcode: msg.head.opcode, masked: msg.head.masked, text: msg.body.toString(), frame: $frameSize,
    })))
  )
)

var $frameSize
