// serveHTTP answers each request with what the function returns.
pipy.listen(18401, $=>$
  .serveHTTP(req => new Message(
    { status: 200, headers: { 'content-type': 'text/plain' } },
    'you asked for ' + req.head.path + '\n'
  ))
)
