// pipe sends the stream through a pipeline chosen at run time: here one of two pipeline
// objects, picked by the request's path.
var versions = {
  '/v1': pipeline($=>$.replaceMessage(new Message('API version 1\n'))),
  '/v2': pipeline($=>$.replaceMessage(new Message('API version 2\n'))),
}
var notFound = pipeline($=>$.replaceMessage(new Message({ status: 404 }, 'no such version\n')))

pipy.listen(18688, $=>$
  .demuxHTTP().to($=>$
    .pipe(evt => evt instanceof MessageStart ? (versions[evt.head.path] || notFound) : undefined)
  )
)
