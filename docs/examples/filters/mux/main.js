// mux merges the messages of many streams into a shared session sub-pipeline: here every
// client connection's lines go through one session that numbers them.
var count = 0

pipy.listen(18728, $=>$
  .split('\n')
  .mux(() => 'shared').to($=>$
    .replaceMessage(msg => new Message(`${++count}: ${msg.body.toString()}\n`))
  )
  .replaceMessage(msg => msg.body)
)
