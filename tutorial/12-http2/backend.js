// The backend services used by this tutorial: the three services of tutorial 02, except that
// 8082 also tells which protocol the request arrived with (the proxy speaks HTTP/2 to them).
// Run it next to main.js:  engine <this folder>/backend.js

pipy()

  // 8080: a static greeting.
  .listen(8080)
  .serveHTTP(
    new Message('Hi, there!\n')
  )

  // 8081: echoes the request body.
  .listen(8081)
  .serveHTTP(
    msg => new Message(msg.body)
  )

  // 8082: tells the path, the address of whoever connected (the proxy, here) and the protocol.
  .listen(8082)
  .serveHTTP(
    msg => new Message(
      `You are requesting ${msg.head.path} from ${__inbound.remoteAddress} over ${msg.head.protocol}\n`
    )
  )
