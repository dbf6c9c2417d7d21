// deframe parses bytes with a state machine whose states are functions: here a binary
// protocol of length-prefixed frames (one length byte, then the payload) becomes messages.
pipy.listen(18782, $=>$
  .deframe({
    length: n => ['payload', n, new Data],
    payload: bytes => [new MessageStart, bytes, new MessageEnd, 'length'],
  })
  .replaceMessage(msg => new Data(`frame: ${msg.body.toString()}\n`))
)
