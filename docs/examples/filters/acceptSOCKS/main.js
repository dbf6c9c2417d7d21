// acceptSOCKS answers a SOCKS 4, 4a or 5 CONNECT handshake: the handler sees where the
// client wants to go and accepts or refuses; the sub-pipeline carries the tunnel. Here a
// SOCKS proxy that only lets clients reach one port (connectSOCKS is the client here).
var $target

pipy.listen(18854, $=>$
  .acceptSOCKS(({ ip, domain, port }) => {
    $target = `127.0.0.1:${port}`
    return port === 18856
  }).to($=>$.connect(() => $target))
)

// A client side: a TCP port whose connections go through the SOCKS proxy to the service.
pipy.listen(18855, $=>$
  .connectSOCKS('127.0.0.1:18856').to($=>$.connect('127.0.0.1:18854'))
)

pipy.listen(18856, $=>$
  .replaceData(data => new Data(`service got: ${data.toString()}`))
)
