// produce outputs what its producer function gives, called until it gives a StreamEnd;
// its input is ignored. Here: a countdown, one line a call, to a TCP client.
var $n

pipy.listen(18696, $=>$
  .onStart(() => { $n = 3 })
  .produce(() => $n > 0 ? new Data(`${$n--}\n`) : new StreamEnd)
)
