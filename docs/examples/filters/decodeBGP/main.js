// decodeBGP reads BGP messages into payloads {type, body}: here a stub BGP speaker that
// answers every KEEPALIVE with one (encoded by encodeBGP).
pipy.listen(18878, $=>$
  .decodeBGP()
  .replaceMessage(msg => msg.payload.type === 'KEEPALIVE'
    ? [new MessageStart, new MessageEnd(null, { type: 'KEEPALIVE' })]
    : []
  )
  .encodeBGP()
)
