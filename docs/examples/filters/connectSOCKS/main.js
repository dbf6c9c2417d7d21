// connectSOCKS asks a SOCKS 5 proxy, reached through its sub-pipeline, to connect to an
// address, then sends the stream through it: here requests to an internal API go out
// through a SOCKS proxy (an acceptSOCKS service in the same program).
pipy.listen(18858, $=>$
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$
      .connectSOCKS('127.0.0.1:18860').to($=>$.connect('127.0.0.1:18859'))
    )
  )
)

var $target
pipy.listen(18859, $=>$
  .acceptSOCKS(({ port }) => { $target = `127.0.0.1:${port}`; return true })
  .to($=>$.connect(() => $target))
)
