// repeat runs its sub-pipeline again, with the same input, while the condition on its
// StreamEnd holds: here a TCP proxy tries an upstream that refuses connections three times.
var $tries = 0

pipy.listen(18704, $=>$
  .repeat(end => end.error && $tries < 3).to($=>$
    .handleStreamStart(() => $tries++)
    .connect('127.0.0.1:18705')
  )
  .replaceStreamEnd(end => [new Data(`gave up after ${$tries} tries: ${end.error}\n`), new StreamEnd])
)
