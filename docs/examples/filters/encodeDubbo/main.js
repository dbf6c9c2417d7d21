// encodeDubbo writes messages with Dubbo heads as frames, and decodeDubbo reads them back:
// here a request made from an HTTP request makes the round trip.
pipy.listen(18838, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({ requestID: 7, isRequest: true, isTwoWay: true }, req.body))
    .encodeDubbo()
    .decodeDubbo()
    .replaceMessage(msg => new Message(JSON.stringify({
      requestID: msg.head.requestID, isRequest: msg.head.isRequest, body: msg.body.toString(),
    })))
  )
)
