// wait holds the events until its condition holds, or until the Promise it returns is
// fulfilled: here requests that come in while the program warms up wait for it to finish.
var ready = false
var warmUp = new Timeout(0.5).wait().then(() => { ready = true })
var $waited

pipy.listen(18660, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $waited = !ready })
    .wait(() => ready || warmUp)
    .replaceMessage(() => new Message(`ready (waited: ${$waited})\n`))
  )
)
