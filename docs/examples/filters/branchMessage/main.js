// branchMessage waits for the whole first message before it chooses: here the choice
// depends on the request body, which branchMessageStart could not see yet.
pipy.listen(18600, $=>$
  .demuxHTTP().to($=>$
    .branchMessage(
      msg => JSON.decode(msg.body)?.urgent === true, ($=>$
        .replaceMessage(new Message('fast lane\n'))
      ),
      ($=>$.replaceMessage(new Message('queued\n')))
    )
  )
)
