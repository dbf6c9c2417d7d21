// use sends the stream through a pipeline of each module named, in order: here two
// plugins that each add a header to the request.
pipy.listen(18712, $=>$
  .demuxHTTP().to($=>$
    .use(['plugins/tag.js', 'plugins/stamp.js'], 'request')
    .replaceMessage(msg => new Message(`${msg.head.headers['x-tag']} ${msg.head.headers['x-stamp']}\n`))
  )
)
