// Tutorial 02: three small HTTP services in one program.
// The same services are reused as the "backends" of the tutorials that follow.

pipy()

  // Port 8080: always the same static reply.
  .listen(8080)
  .serveHTTP(
    new Message('Hi, there!\n')
  )

  // Port 8081: a function handler. It receives the complete request message and
  // returns the response; here the response body is the request body.
  .listen(8081)
  .serveHTTP(
    msg => new Message(msg.body)
  )

  // Port 8082: a reply computed from the request head and from the connection.
  // __inbound describes the client connection this request came in on.
  .listen(8082)
  .serveHTTP(
    msg => new Message(
      `You are requesting ${msg.head.path} from ${__inbound.remoteAddress}\n`
    )
  )
