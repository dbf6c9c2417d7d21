// chain runs the entrance pipelines of modules in order; each passes the stream on with
// chain(), or answers it. Here an API-key check, then the handler.
pipy.listen(18716, $=>$
  .demuxHTTP().to($=>$
    .chain(['auth.js', 'hello.js'])
  )
)
