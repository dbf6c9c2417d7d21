// dump logs every event that passes, with a tag, and changes nothing: a probe to put
// anywhere in a pipeline while you debug it.
pipy.listen(18608, $=>$
  .demuxHTTP().to($=>$
    .dump('request')
    .replaceMessage(msg => new Message(`got ${msg.body.size} bytes\n`))
  )
)
