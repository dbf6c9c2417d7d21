// read outputs the content of a file, then ends, at the first event: here an HTTP answer
// with the system's kernel name, read from /proc (paths are relative to the working
// directory of the engine, not to the codebase).
pipy.listen(18700, $=>$
  .demuxHTTP().to($=>$
    .read('/proc/sys/kernel/ostype')
    .replaceStreamEnd(() => [new MessageEnd, new StreamEnd])
    .insert(new MessageStart({ headers: { 'content-type': 'text/plain' } }))
  )
)
