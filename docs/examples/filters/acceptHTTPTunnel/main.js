// acceptHTTPTunnel answers a CONNECT (or upgrade) request: the handler's response says
// whether the tunnel is open (2xx); the sub-pipeline then carries it. Here a forward proxy
// that tunnels only to port 18864.
var $target

pipy.listen(18862, $=>$
  .demuxHTTP().to($=>$
    .acceptHTTPTunnel(req => {
      $target = req.head.path
      return $target.endsWith(':18864') ? new Message({ status: 200 }) : new Message({ status: 403 }, 'not there\n')
    }).to($=>$.connect(() => $target))
  )
)

pipy.listen(18864, $=>$
  .replaceData(data => new Data(`tunnelled: ${data.toString()}`))
)
