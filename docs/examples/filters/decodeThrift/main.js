// decodeThrift reads Thrift messages (binary or compact protocol) into payloads: here a
// proxy in front of a Thrift service logs each call's name, then encodes it again.
pipy.listen(18814, $=>$
  .decodeThrift()
  .handleMessageEnd(end => console.log(`thrift ${end.payload.type} ${end.payload.name}`))
  .encodeThrift()
  .connect('127.0.0.1:18815')
)

// The service: answers every call with a reply of the same name and number.
pipy.listen(18815, $=>$
  .decodeThrift()
  .replaceMessage(msg => [new MessageStart, new MessageEnd(null, {
    protocol: msg.payload.protocol, type: 'reply', seqID: msg.payload.seqID, name: msg.payload.name, fields: [],
  })])
  .encodeThrift()
)
