// encodeThrift writes Thrift message payloads as bytes; decodeThrift reads them back: here
// a call made from the request makes the round trip in the binary protocol.
pipy.listen(18810, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => [new MessageStart, new MessageEnd(null, {
      protocol: 'binary', type: 'call', seqID: 7, name: req.head.path.substring(1),
      fields: [{ id: 1, type: 'i32', value: 42 }],
    })])
    .encodeThrift()
    .decodeThrift()
    .replaceMessage(msg => new Message(JSON.stringify({
      type: msg.payload.type, name: msg.payload.name, seqID: msg.payload.seqID, fields: msg.payload.fields.length,
    })))
  )
)
