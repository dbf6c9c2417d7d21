// demux gives each message its own sub-pipeline and outputs their replies in order: here
// a line protocol, split into messages, each answered on its own.
pipy.listen(18720, $=>$
  .split('\n')
  .demux().to($=>$
    .replaceMessage(msg => new Message(msg.body.toString().toUpperCase() + '\n'))
  )
  .replaceMessage(msg => msg.body)
)
