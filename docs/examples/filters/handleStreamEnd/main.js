// handleStreamEnd runs its function when the stream ends: here an echo server counts the
// connections its clients have closed, and a status page shows the count.
var closed = 0

pipy.listen(18628, $=>$
  .handleStreamEnd(() => { closed++ })
)

pipy.listen(18630, $=>$
  .serveHTTP(() => new Message(`connections closed: ${closed}\n`))
)
