// handleMessageBody gets the whole body of each message, as Data: here a checksum of
// what the client posted is sent back in a header.
var $sum

pipy.listen(18620, $=>$
  .demuxHTTP().to($=>$
    .handleMessageBody(body => { $sum = body.toArray().reduce((a, b) => (a + b) % 65536, 0) })
    .replaceMessage(msg => new Message({ headers: { 'x-sum': String($sum) } }, msg.body))
  )
)
