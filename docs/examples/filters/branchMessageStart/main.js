// branchMessageStart decides on the first MessageStart, which it passes to each condition.
pipy.listen(18420, $=>$
  .demuxHTTP().to($=>$
    .branchMessageStart(
      msg => msg.head.method === 'GET', ($=>$
        .replaceMessage(new Message('read\n'))
      ),
      ($=>$
        .replaceMessage(new Message({ status: 405 }, 'read only\n'))
      )
    )
  )
)
