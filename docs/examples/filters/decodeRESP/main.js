// decodeRESP turns the bytes of Redis commands into messages whose payload is the command
// (an array): here a Redis-compatible PING/ECHO server, answered with encodeRESP.
pipy.listen(18790, $=>$
  .decodeRESP()
  .replaceMessage(cmd => {
    var name = cmd.payload[0].toString().toUpperCase()
    var reply = name === 'PING' ? 'PONG' : name === 'ECHO' ? cmd.payload[1].toString() : new Error('ERR unknown command')
    return [new MessageStart, new MessageEnd(null, reply)]
  })
  .encodeRESP()
)
