// print writes the bytes of every Data event to standard error as they pass, and passes
// them on: a way to watch a plain TCP stream.
pipy.listen(18636, $=>$
  .print()
  .replaceData(data => new Data(data.toString().toUpperCase()))
)
