// muxFastCGI sends request messages {role, keepAlive, params} to a FastCGI application
// over shared connections and outputs its answers: the application's standard output as
// the body, its exit status in the tail. Here a web front end in front of a FastCGI app
// (written with demuxFastCGI, in the same program).
pipy.listen(18818, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({
      keepAlive: true,
      params: { REQUEST_METHOD: req.head.method, REQUEST_URI: req.head.path, SCRIPT_NAME: '/app' },
    }, req.body))
    .muxFastCGI().to($=>$.connect('127.0.0.1:18819'))
    .replaceMessage(res => new Message(
      { headers: { 'x-app-status': String(res.tail.appStatus) } },
      res.body.toString().split('\r\n\r\n')[1]
    ))
  )
)

pipy.listen(18819, $=>$
  .demuxFastCGI().to($=>$
    .replaceMessage(req => new Message(
      `Content-Type: text/plain\r\n\r\n${req.head.params.REQUEST_METHOD} ${req.head.params.REQUEST_URI}\n`
    ))
  )
)
