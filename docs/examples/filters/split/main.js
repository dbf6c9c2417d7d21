// split cuts the Data stream into messages at every separator: here a stream of lines
// becomes one message per line, each answered with its length.
pipy.listen(18740, $=>$
  .split('\n')
  .replaceMessage(msg => new Data(`${msg.body.size}\n`))
)
