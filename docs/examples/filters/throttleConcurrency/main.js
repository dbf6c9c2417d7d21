// throttleConcurrency lets a quota of streams through at once; the others wait for a
// slot. Here one request at a time reaches the slow handler, so each sees no other inside.
var inside = 0
var $seen

pipy.listen(18664, $=>$
  .demuxHTTP().to($=>$
    .throttleConcurrency(new algo.Quota(1))
    .handleMessageStart(() => { $seen = ++inside })
    .wait(() => new Timeout(0.05).wait())
    .replaceMessage(() => { inside--; return new Message(`inside: ${$seen}\n`) })
  )
)
