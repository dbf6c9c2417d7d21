// connectProxyProtocol writes a PROXY protocol header before the stream, for an upstream
// that wants to know the client's address: here a TCP proxy tells its upstream (an
// acceptProxyProtocol service in the same program) who connected.
pipy.listen(18850, $=>$
  .connectProxyProtocol(() => ({
    version: 1,
    sourceAddress: __inbound.remoteAddress, sourcePort: __inbound.remotePort,
    targetAddress: '127.0.0.1', targetPort: 18850,
  })).to($=>$.connect('127.0.0.1:18851'))
)

var $from

pipy.listen(18851, $=>$
  .acceptProxyProtocol(header => { $from = `${header.protocol} ${header.sourceAddress}`; return true })
  .to($=>$.replaceData(data => new Data(`${$from} says ${data.toString()}`)))
)
