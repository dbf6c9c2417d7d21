// decodeDubbo reads Dubbo frames into messages: here a stub Dubbo provider that answers
// every two-way request with a response frame of the same ID, encoded by encodeDubbo.
pipy.listen(18842, $=>$
  .decodeDubbo()
  .replaceMessage(req => new Message({ requestID: req.head.requestID, isRequest: false, status: 20 }, 'ok'))
  .encodeDubbo()
)
