// connectHTTPTunnel opens a tunnel with a CONNECT request sent through its sub-pipeline
// (usually muxHTTP), then sends the stream through it: here a TCP port whose connections
// reach a service through an HTTP proxy (acceptHTTPTunnel, in the same program).
pipy.listen(18866, $=>$
  .connectHTTPTunnel(new Message({ method: 'CONNECT', path: '127.0.0.1:18868' }))
  .to($=>$.muxHTTP().to($=>$.connect('127.0.0.1:18867')))
)

var $target
pipy.listen(18867, $=>$
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(req => { $target = req.head.path; return new Message({ status: 200 }) })
    .to($=>$.connect(() => $target))
  )
)

pipy.listen(18868, $=>$
  .replaceData(data => new Data(`service got: ${data.toString()}`))
)
