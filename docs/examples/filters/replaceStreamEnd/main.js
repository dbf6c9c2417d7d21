// replaceStreamEnd replaces the end of the stream: here a plain TCP proxy whose upstream
// is down says so to the client before it closes, instead of closing silently.
pipy.listen(18652, $=>$
  .connect('127.0.0.1:18653')
  .replaceStreamEnd(end => end.error
    ? [new Data(`upstream unavailable (${end.error})\n`), new StreamEnd]
    : end
  )
)
