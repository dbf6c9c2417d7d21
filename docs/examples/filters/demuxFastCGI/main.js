// demuxFastCGI serves FastCGI: each request is a message {role, keepAlive, params} with
// its standard input as the body; the sub-pipeline's answer is the CGI output (headers, a
// blank line, the body). Here an app that greets by a query parameter, behind a FastCGI
// client (muxFastCGI) that makes it reachable over HTTP.
pipy.listen(18822, $=>$
  .demuxFastCGI().to($=>$
    .replaceMessage(req => new Message(
      `Content-Type: text/plain\r\n\r\nhello, ${req.head.params.QUERY_STRING.replace('name=', '')}\n`
    ))
  )
)

pipy.listen(18823, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({
      params: { REQUEST_METHOD: 'GET', QUERY_STRING: req.head.path.split('?')[1] || '' },
    }))
    .muxFastCGI().to($=>$.connect('127.0.0.1:18822'))
    .replaceMessage(res => new Message(res.body.toString().split('\r\n\r\n')[1]))
  )
)
