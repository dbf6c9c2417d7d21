// forkRace sends a copy of the request into a sub-pipeline per initializer and answers
// with whichever answers first: here two replicas, one taking a second.
var $delay

pipy.listen(18676, $=>$
  .demuxHTTP().to($=>$
    .forkRace([1, 0]).to($=>$
      .onStart(delay => { $delay = delay })
      .wait(() => new Timeout($delay).wait())
      .replaceMessage(() => new Message(`answered after ${$delay} s\n`))
    )
  )
)
