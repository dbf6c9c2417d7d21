// Tutorial 03: a reverse proxy.
// Requests arriving on port 8000 are forwarded to the service on port 8080 (backend.js),
// and its responses are sent back to the client.

pipy()

  .listen(8000)

  // demuxHTTP decodes the client's bytes into requests and gives every request its own
  // sub-pipeline (the one built in .to below). The responses coming out of those
  // sub-pipelines are encoded back, in request order, onto the client connection.
  .demuxHTTP().to(
    $=>$

    // muxHTTP does the opposite: it encodes requests onto a shared connection to the
    // upstream server and decodes the responses that come back, matching them to requests.
    .muxHTTP().to(
      $=>$

      // connect opens the TCP connection and carries the bytes both ways.
      .connect('127.0.0.1:8080')
    )
  )
