// loop feeds what its sub-pipeline outputs back into it, and outputs it too: here a line
// counts down, each output line going around again until it reaches zero.
pipy.listen(18684, $=>$
  .loop($=>$
    .split('\n')
    .handleMessage(msg => {})
    .replaceMessage(msg => {
      var n = Number(msg.body.toString())
      return n > 0 ? new Data(`${n - 1}\n`) : new StreamEnd
    })
  )
)
