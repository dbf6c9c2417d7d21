// The program of concepts-contexts in the early API: context variables declared in pipy({}),
// a named sub-pipeline, and demuxHTTP given that name.
pipy({
  _requests: 0,
  _served: { count: 0 }, // an object is shared by every context: the worker's count
})

.listen(18381)
.demuxHTTP('request')

.pipeline('request')
.replaceMessage(
  msg => (
    _served.count++,
    _requests++,
    new Message(
      { headers: { 'content-type': 'application/json' } },
      JSON.stringify({ path: msg.head.path, connection: _requests, worker: _served.count })
    )
  )
)
