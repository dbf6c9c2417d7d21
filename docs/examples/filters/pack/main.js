// pack joins the bodies of consecutive messages into one message per batch: here lines
// are packed 3 to a message, each batch answered with its size.
pipy.listen(18736, $=>$
  .split('\n')
  .pack(3)
  .replaceMessage(msg => new Data(`batch of ${msg.body.size} bytes\n`))
)
