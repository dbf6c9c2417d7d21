// replaceData puts something else in place of each Data event: here, on a plain TCP echo, the
// bytes coming back are upper-cased (the head and the body alike).
pipy.listen(18442, $=>$
  .connect('127.0.0.1:18443')
  .replaceData(data => new Data(data.toString().toUpperCase()))
)
