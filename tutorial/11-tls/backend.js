// The backend services used by this tutorial (the same three services as tutorial 02).
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

  // 8082: tells the path and the address of whoever connected (the proxy, here).
  .listen(8082)
  .serveHTTP(
    msg => new Message(
      `You are requesting ${msg.head.path} from ${__inbound.remoteAddress}\n`
    )
  )
