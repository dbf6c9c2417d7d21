// Modules: chain() runs the request through plugin modules in order; each one handles it or
// passes it on to the next. A plugin imports what it needs with an ES import.
pipy.listen(18385, $=>$
  .demuxHTTP().to($=>$
    .chain([
      'plugins/hello.js',
      'plugins/not-found.js',
    ])
  )
)
