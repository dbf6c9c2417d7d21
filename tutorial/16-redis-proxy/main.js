// Tutorial 16: a Redis proxy.
// Clients speak Redis (RESP) to port 8000; the proxy decodes every command, logs it with the
// address of the client that sent it, and forwards it to the Redis server on port 8080, unless
// that client is over its rate: then the proxy answers the command itself with an error.

// One quota per client address, made the first time that address sends a command: 5 commands
// a second. The cache remembers the 10,000 addresses heard from last; older ones are forgotten.
var quotas = new algo.Cache(
  address => new algo.Quota(5, { per: '1s' }),
  null,
  { size: 10000 },
)

pipy({
  _refused: false,
})

  .listen(8000)
  // Bytes in, one message per command out: its payload is an array like ['SET', key, value].
  .decodeRESP()

  // One sub-pipeline per command; their replies go back to the client in the order the
  // commands came, even when a refused command is answered before the one ahead of it.
  .demuxQueue().to(
    $=>$
    .handleMessage(
      msg => {
        var command = msg.payload
        var client = __inbound.remoteAddress
        // consume(1) takes one unit from this client's quota; 0 means it is used up.
        _refused = quotas.get(client).consume(1) === 0
        // One line per command: who sent it, its name and its key (the value may be large).
        console.log(
          `${client}:${__inbound.remotePort} ${command.slice(0, 2).join(' ')}` +
          (_refused ? ' (refused: over the rate)' : '')
        )
      }
    )

    .branchMessage(
      () => _refused, (
        // Answered here: the command never reaches the server.
        $=>$.replaceMessage(
          () => [
            new MessageStart,
            new MessageEnd(null, new Error('ERR rate limit: 5 commands a second per client')),
          ]
        )
      ),
      (
        // Forwarded: the commands of one client connection share one server connection, and
        // each reply is matched to its command in order. maxQueue: 0 lets any number of
        // commands wait on that connection; the default (1) would open another connection for
        // a command sent before the previous one's reply, and the server could then run a
        // pipelined GET before the SET ahead of it.
        $=>$.muxQueue({ maxQueue: 0 }).to(
          $=>$
          .encodeRESP()
          .connect('127.0.0.1:8080')
          .decodeRESP()
        )
      )
    )
  )

  // Replies out, as RESP bytes.
  .encodeRESP()
