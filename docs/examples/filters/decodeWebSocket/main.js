// decodeWebSocket turns WebSocket frames into messages: here a WebSocket echo server.
// acceptHTTPTunnel answers the upgrade request with 101; the tunnel then carries frames.
pipy.listen(18798, $=>$
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(req => new Message({
      status: 101,
      headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 'not-checked-here' },
    })).to($=>$
      .decodeWebSocket()
      .replaceMessage(msg => new Message({ opcode: 1, masked: false }, 'echo: ' + msg.body.toString()))
      .encodeWebSocket()
    )
  )
)
