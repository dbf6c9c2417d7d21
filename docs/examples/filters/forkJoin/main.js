// forkJoin sends a copy of its input through one sub-pipeline per item of a list, each in its
// own context, and passes its input on once they have all ended.
var $results

pipy.listen(18429, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $results = [] })
    .forkJoin(['a', 'b', 'c']).to($=>$
      .onStart(item => { $results.push(item.toUpperCase()) })
    )
    .replaceMessage(() => new Message($results.join(',') + '\n'))
  )
)
