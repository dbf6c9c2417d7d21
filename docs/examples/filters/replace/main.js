// replace replaces every event, whatever its kind: here each Data of a plain TCP stream
// is counted, and each one becomes a line saying its size.
pipy.listen(18640, $=>$
  .replace(evt => evt instanceof Data ? new Data(`${evt.size} bytes\n`) : evt)
)
