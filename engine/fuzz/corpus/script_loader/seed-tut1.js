// Tutorial 01: the smallest useful program.
// One listening port; every HTTP request that arrives on it gets the same response.

pipy()

  // A port pipeline: one pipeline per accepted connection on port 8080.
  .listen(8080)

  // serveHTTP decodes the request bytes into messages and answers each request with the
  // message given here, encoded back into HTTP/1.1 bytes.
  .serveHTTP(
    new Message('Hi, there!\n')
  )
