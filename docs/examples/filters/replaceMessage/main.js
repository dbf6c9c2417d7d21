// replaceMessage waits for a whole message and puts another in its place: here the upstream's
// JSON answer is wrapped in an envelope.
pipy.listen(18410, $=>$
  .demuxHTTP().to($=>$
    .muxHTTP().to($=>$.connect('127.0.0.1:18411'))
    .replaceMessage(res => new Message(
      { status: res.head.status, headers: { 'content-type': 'application/json' } },
      JSON.stringify({ ok: res.head.status < 400, data: JSON.decode(res.body) })
    ))
  )
)
