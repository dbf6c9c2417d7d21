// Tutorial 14: the upstreams, two tiny gRPC services written with serveHTTP.
// A gRPC message on the wire is a 5-byte prefix (a compression flag, then the length in 4
// bytes, big-endian) and the message's bytes; here the bytes are plain text. The call's status
// goes in the response's trailers: the tail's headers.

var frame = text => {
  var bytes = new Data(text)
  var n = bytes.size
  return new Data([0, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]).push(bytes)
}

var unframe = body => {
  var bytes = new Data(body)
  bytes.shift(5)
  return bytes.toString()
}

var reply = text => new Message(
  { status: 200, headers: { 'content-type': 'application/grpc' } },
  frame(text),
  { headers: { 'grpc-status': '0' } }
)

pipy()

  // hello.Greeter: every method greets.
  .listen(8080)
  .serveHTTP(req => reply(`Hello, ${unframe(req.body)}!`))

  // hello.Mirror: Reverse answers the message backwards.
  .listen(8081)
  .serveHTTP(req => reply(unframe(req.body).split('').reverse().join('')))
