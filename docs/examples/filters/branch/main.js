// branch picks the first sub-pipeline whose condition holds, once per stream; the last one,
// without a condition, is the default.
var $admin

pipy.listen(18412, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => { $admin = msg.head.path.startsWith('/admin') })
    .branch(
      () => $admin, ($=>$
        .replaceMessage(new Message({ status: 403 }, 'forbidden\n'))
      ),
      ($=>$
        .replaceMessage(new Message('welcome\n'))
      )
    )
  )
)
