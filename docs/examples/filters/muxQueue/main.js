// muxQueue, like mux, queues messages into a shared session and matches its replies to
// them in order: here a Redis-like line server behind one upstream connection.
pipy.listen(18732, $=>$
  .split('\n')
  .muxQueue().to($=>$
    .replaceMessage(msg => [msg.body, new Data('\n')])
    .connect('127.0.0.1:18733')
    .split('\n')
  )
  .replaceMessage(msg => [msg.body, new Data('\n')])
)

pipy.listen(18733, $=>$
  .replaceData(data => new Data(data.toString().replace(/^/gm, 'ok ').replace(/ok $/, '')))
)
