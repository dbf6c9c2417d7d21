// encodeBGP writes BGP message payloads as bytes, and decodeBGP reads them back: here a
// KEEPALIVE and an OPEN make the round trip, and the decoded types are listed.
var $types

pipy.listen(18874, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $types = [] })
    .replaceMessage(() => [
      new MessageStart, new MessageEnd(null, { type: 'OPEN', body: { myAS: 65001, holdTime: 90, identifier: '10.0.0.1' } }),
      new MessageStart, new MessageEnd(null, { type: 'KEEPALIVE' }),
    ])
    .encodeBGP()
    .decodeBGP()
    .handleMessageEnd(end => $types.push(`${end.payload.type}${end.payload.body && end.payload.body.myAS ? ' AS' + end.payload.body.myAS : ''}`))
    .replaceMessage(() => [])
    .replaceStreamEnd(end => [new Message($types.join(', ') + '\n'), end])
  )
)
