// replaceStreamStart replaces the first event of the stream: here a plain TCP stream
// gets a header line before its first bytes, which are kept.
pipy.listen(18648, $=>$
  .replaceStreamStart(evt => [new Data('HELLO 1.0\n'), evt])
)
