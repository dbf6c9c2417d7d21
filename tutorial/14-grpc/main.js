// Tutorial 14: proxying gRPC.
// gRPC calls are HTTP/2 requests whose path names the method: /package.Service/Method. The
// proxy routes each call by that path, a whole service or one method at a time, forwards it
// over HTTP/2, and answers a call it has no route for itself, the gRPC way.

var routes = {
  'hello.Greeter': '127.0.0.1:8080',        // every method of the service
  'hello.Mirror/Reverse': '127.0.0.1:8081', // one method
}

pipy({
  _target: undefined,
})

  .listen(8000)
  .demuxHTTP({ accessLog: true }).to(
    $=>$.handleMessageStart(
      msg => {
        var method = msg.head.path.substring(1)    // 'hello.Greeter/SayHello'
        var service = method.split('/')[0]         // 'hello.Greeter'
        _target = routes[method] || routes[service]
      }
    )
    .branch(
      () => _target, (
        $=>$.muxHTTP(() => _target, { version: 2 }).to(
          $=>$.connect(() => _target)
        )
      ),
      (
        // A trailers-only response: HTTP 200, the gRPC status in the head, no body.
        $=>$.replaceMessage(
          new Message({
            status: 200,
            headers: {
              'content-type': 'application/grpc',
              'grpc-status': '12',
              'grpc-message': 'no route',
            },
          })
        )
      )
    )
  )
