// dummy swallows everything but the end of the stream: here it drops the bodies of
// requests to /beacon, which are only counted, and the client gets an empty 204.
var beacons = 0

pipy.listen(18604, $=>$
  .demuxHTTP().to($=>$
    .branchMessageStart(
      msg => msg.head.path === '/beacon', ($=>$
        .handleMessageStart(() => beacons++)
        .dummy()
        .insert(new Message({ status: 204 }))
      ),
      ($=>$.replaceMessage(() => new Message(`beacons: ${beacons}\n`)))
    )
  )
)
